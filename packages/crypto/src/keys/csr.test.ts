import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOUR_POLICY_OIDS, CONTOURS } from '../certs/contour.js';
import { createCsr } from './csr.js';
import { generateKeyPair, type KeyAlgorithm } from './generate.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tc-csr-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]): { status: number; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('createCsr', () => {
  it.each(
    CONTOURS.flatMap((contour) =>
      (['ecdsa-p256', 'rsa-2048'] as KeyAlgorithm[]).map((alg) => [contour, alg] as const),
    ).filter(([c, a]) => a === 'ecdsa-p256' || c === 'transport'),
  )('makes a %s request with a %s key that openssl req -verify accepts', async (contour, algorithm) => {
    const { privateKey } = await generateKeyPair({ algorithm });
    const r = await createCsr(privateKey, 'CN=Formation workstation 1,OU=Payments,O=Example Bank,C=RU', { contour });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const file = join(dir, `${contour}-${algorithm}.csr`);
    writeFileSync(file, r.value);
    const v = openssl(['req', '-in', file, '-verify', '-noout']);
    expect(v.status, v.out).toBe(0);
    expect(v.out).toMatch(/verify OK/i);
    const text = openssl(['req', '-in', file, '-noout', '-text', '-nameopt', 'RFC2253']).out;
    expect(text).toContain('Requested Extensions');
    expect(text).toContain(`Policy: ${CONTOUR_POLICY_OIDS[contour]}`);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
    if (contour === 'transport') expect(text).toMatch(/Key Encipherment, Key Agreement/);
    expect(text).toContain('Subject: CN=Formation workstation 1,OU=Payments,O=Example Bank,C=RU');
  });

  it.each(['', 'no equals sign', '=value'])('refuses the subject %j with KEY_BAD_SUBJECT', async (subject) => {
    const { privateKey } = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    expect(await createCsr(privateKey, subject, { contour: 'formation' })).toMatchObject({
      ok: false,
      code: 'KEY_BAD_SUBJECT',
    });
  });

  it.each([
    ['an Ed25519 key', () => generateKeyPairSync('ed25519').privateKey],
    ['a public key', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey],
    ['a secp256k1 key', () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey],
  ])('refuses %s with KEY_UNSUPPORTED_ALGORITHM', async (_n, make) => {
    expect(await createCsr(make(), 'CN=x', { contour: 'control' })).toMatchObject({
      ok: false,
      code: 'KEY_UNSUPPORTED_ALGORITHM',
    });
  });
});
