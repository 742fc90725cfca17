// The independent check every signature the gateway makes must pass (DESIGN.md, Crypto): OpenSSL's
// `cms -verify`. Test support only, exported as `@twincontour/crypto/testing`: it runs the openssl program.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeEd } from '@twincontour/ufebs';
import { unwrapEnvelope } from '../ka.js';
import { readDevLayout } from '../pki/layout.js';
import { readZks } from '../zk.js';

/** What openssl answered. */
export interface OpensslResult {
  status: number;
  output: string;
}

/** `openssl cms -verify` of a detached DER signature file over a content file, against a CA file. */
export function opensslCmsVerify(signatureFile: string, contentFile: string, caFile: string): OpensslResult {
  const r = spawnSync(
    'openssl',
    [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      signatureFile,
      '-content',
      contentFile,
      '-CAfile',
      caFile,
      '-purpose',
      'any',
      '-out',
      '/dev/null',
    ],
    { encoding: 'utf8' },
  );
  return { status: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** The development CA certificate file of a `pki dev-init` folder. */
export function devCaFile(pkiDir: string): string {
  const layout = readDevLayout(pkiDir);
  if (!layout.ok) throw new Error(layout.code);
  return join(pkiDir, layout.value.ca.certificate);
}

/**
 * `openssl cms -verify` of every ЗК of the ED inside a КА envelope, over the normalized ED, and of the
 * КА over the enclosed file, against the development CA of `pkiDir`. ЗК results first, the КА last.
 */
export function opensslVerifyEnvelope(envelope: Uint8Array, pkiDir: string, workDir: string): OpensslResult[] {
  const caFile = devCaFile(pkiDir);
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
    return opensslCmsVerify(path, normalizedPath, caFile);
  });
  const filePath = join(workDir, 'ed.xml');
  const macPath = join(workDir, 'ka.der');
  writeFileSync(filePath, file);
  writeFileSync(macPath, mac);
  results.push(opensslCmsVerify(macPath, filePath, caFile));
  return results;
}
