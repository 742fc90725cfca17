// Test fixtures of the control service (imported by *.test.ts only): a development PKI, a formation-signed
// ED101 built from examples/payment-order.json exactly as formation builds it, and small waiting helpers.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addZk, readZks, type Signer, unwrapEnvelope } from '@twincontour/crypto';
import type { F2cPayload } from '@twincontour/platform';
import { normalizeEd, orderToEd101, type PaymentOrder, writeEd101 } from '@twincontour/ufebs';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');

/** A fresh copy of examples/payment-order.json (or budget-payment-order.json). */
export function exampleOrder(name: 'payment-order' | 'budget-payment-order' = 'payment-order'): PaymentOrder {
  return JSON.parse(readFileSync(join(EXAMPLES, `${name}.json`), 'utf8')) as PaymentOrder;
}

/** The development ED author (formation's default УИС). */
export const ED_AUTHOR = '4525545000';

/** Builds the ED101 of an order, signs it with formation's ЗК, and wraps it as formation's f2c payload. */
export async function formationPayload(
  order: PaymentOrder,
  options: { orderId: string; edNo: string; edDate?: string; signer: Signer; tamper?: (xml: Buffer) => Buffer },
): Promise<{ payload: F2cPayload; edBytes: Uint8Array }> {
  const identity = { edNo: options.edNo, edDate: options.edDate ?? '2025-04-15', edAuthor: ED_AUTHOR };
  const written = writeEd101(orderToEd101(order, identity));
  if (!written.ok) throw new Error(`${written.code}: ${written.message}`);
  const signed = await addZk(written.value, options.signer);
  if (!signed.ok) throw new Error(`${signed.code}: ${signed.message}`);
  const edBytes = options.tamper ? new Uint8Array(options.tamper(Buffer.from(signed.value))) : signed.value;
  return {
    edBytes,
    payload: {
      type: 'ed.formed',
      version: 1,
      messageId: `f2c-${options.orderId}`,
      orderId: options.orderId,
      ed: identity,
      edBase64: Buffer.from(edBytes).toString('base64'),
      formedAt: new Date().toISOString(),
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function openssl(args: string[]): { status: number; output: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

function cmsVerify(signature: string, content: string, caFile: string): { status: number; output: string } {
  return openssl([
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    signature,
    '-content',
    content,
    '-CAfile',
    caFile,
    '-purpose',
    'any',
    '-out',
    '/dev/null',
  ]);
}

/**
 * The independent check (DESIGN.md, Crypto): `openssl cms -verify` of every ЗК of the ED in an
 * envelope over the normalized ED, and of the КА over the enclosed file. Returns each check's exit
 * status and output, ЗК first, КА last.
 */
export function opensslVerifyEnvelope(
  envelope: Uint8Array,
  pkiDir: string,
  workDir: string,
): { status: number; output: string }[] {
  const caFile = join(pkiDir, JSON.parse(readFileSync(join(pkiDir, 'trust.json'), 'utf8')).ca.certificate as string);
  const unwrapped = unwrapEnvelope(envelope);
  if (!unwrapped.ok) throw new Error(unwrapped.code);
  const { file, mac } = unwrapped.value;
  const normalized = normalizeEd(file);
  if (!normalized.ok) throw new Error(normalized.code);
  const normalizedPath = join(workDir, 'ed.normalized');
  writeFileSync(normalizedPath, normalized.value);
  const zks = readZks(file);
  if (!zks.ok) throw new Error(zks.code);
  const results = zks.value.map((zk) => {
    const path = join(workDir, `zk${zk.index}.der`);
    writeFileSync(path, zk.der);
    return cmsVerify(path, normalizedPath, caFile);
  });
  const filePath = join(workDir, 'ed.xml');
  const macPath = join(workDir, 'ka.der');
  writeFileSync(filePath, file);
  writeFileSync(macPath, mac);
  results.push(cmsVerify(macPath, filePath, caFile));
  return results;
}
