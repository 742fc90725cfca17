/**
 * Validation against the official UFEBS 2024.4.0 schemas with xmllint (libxml2), the independent
 * checker of every ED the gateway writes. The wrapper schema `schemas/ed-with-dsig.xsd` imports the
 * ED schemas and the dsig schema, so an ED carrying `dsig:SigValue` (ЗК) validates (SOURCES.md).
 *
 * A missing xmllint is an infrastructure fault, not a validation result: the promise rejects with
 * an {@link XsdToolError} whose `code` is `UFEBS_XML_XMLLINT_MISSING` (or `UFEBS_XML_XSD_TOOL_FAILED`
 * when xmllint runs but cannot compile the schemas).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the wrapper schema (packages/ufebs/schemas/ed-with-dsig.xsd). */
export const ED_WRAPPER_XSD: string = fileURLToPath(new URL('../../schemas/ed-with-dsig.xsd', import.meta.url));

/** Folder of the official UFEBS 2024.4.0 schemas, vendored verbatim (schemas/xsd-v2024.4.0/SOURCES.md). */
export const OFFICIAL_XSD_DIR: string = fileURLToPath(new URL('../../schemas/xsd-v2024.4.0/', import.meta.url));

/** The outcome of validating one document. */
export interface XsdResult {
  ok: boolean;
  /** xmllint's messages (errors name the element and the rule broken). */
  output: string;
}

/** Options of {@link xsdValidate}. */
export interface XsdOptions {
  /** The xmllint executable; `xmllint` on the PATH by default. */
  xmllint?: string;
}

/** Thrown (as a rejection) when xmllint cannot run or the wrapper schema cannot be compiled. */
export class XsdToolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'XsdToolError';
  }
}

interface Run {
  status: number;
  output: string;
}

function run(command: string, args: string[], stdin: Uint8Array | undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => {
      reject(new XsdToolError('UFEBS_XML_XMLLINT_MISSING', `cannot run ${command}: ${err.message}`));
    });
    child.on('close', (status) => resolve({ status: status ?? -1, output: Buffer.concat(chunks).toString('utf8') }));
    // xmllint may exit before reading everything (e.g. on a fatal error); that is not our failure.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  });
}

/**
 * xmllint exit codes: 0 valid; 1 (not well-formed), 3 and 4 (invalid) are results about the
 * document; 5 (schema does not compile) and anything else are faults of the tool or the setup.
 */
function faultOf(result: Run, command: string): XsdToolError | undefined {
  if ([0, 1, 3, 4].includes(result.status)) return undefined;
  return new XsdToolError(
    'UFEBS_XML_XSD_TOOL_FAILED',
    `${command} failed with status ${result.status} (schema ${ED_WRAPPER_XSD}): ${result.output.slice(0, 2000)}`,
  );
}

/**
 * Validates one document (its bytes as they will be sent) with
 * `xmllint --noout --nonet --schema ed-with-dsig.xsd -`.
 */
export async function xsdValidate(bytes: Uint8Array, options: XsdOptions = {}): Promise<XsdResult> {
  const command = options.xmllint ?? 'xmllint';
  const result = await run(command, ['--noout', '--nonet', '--schema', ED_WRAPPER_XSD, '-'], bytes);
  const fault = faultOf(result, command);
  if (fault !== undefined) throw fault;
  return { ok: result.status === 0, output: result.output };
}

/**
 * Validates many documents with one xmllint run (the schema is compiled once), for tests and bulk
 * checks. Results are in the order of `documents`.
 */
export async function xsdValidateMany(
  documents: readonly Uint8Array[],
  options: XsdOptions = {},
): Promise<XsdResult[]> {
  if (documents.length === 0) return [];
  const command = options.xmllint ?? 'xmllint';
  const dir = await mkdtemp(join(tmpdir(), 'ufebs-xsd-'));
  try {
    const files = documents.map((_, i) => join(dir, `${i}.xml`));
    await Promise.all(documents.map((doc, i) => writeFile(files[i] ?? '', doc)));
    const result = await run(command, ['--noout', '--nonet', '--schema', ED_WRAPPER_XSD, ...files], undefined);
    const fault = faultOf(result, command);
    if (fault !== undefined) throw fault;
    const lines = result.output.split('\n');
    return files.map((file) => {
      const own = lines.filter((line) => line.startsWith(`${file}:`) || line.startsWith(`${file} `));
      return { ok: own.includes(`${file} validates`), output: own.join('\n') };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
