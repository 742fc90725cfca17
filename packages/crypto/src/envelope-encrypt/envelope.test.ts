import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devInit, readDevIdentity } from '../pki/dev-init.js';
import { type IssuedDevCertificate, issueDevCertificate } from '../pki/dev-testing.js';
import { decrypt, EnvelopeError, encryptFor } from './envelope.js';

interface Recipient {
  name: string;
  certificateDer: Uint8Array;
  certificatePem: string;
  privateKey: KeyObject;
}

let dir: string;
let ec: Recipient;
let rsa: Recipient;
let other: IssuedDevCertificate;

function openssl(args: string[], input?: Uint8Array): { status: number; out: Buffer; err: string } {
  const r = spawnSync('openssl', args, input ? { input } : {});
  return { status: r.status ?? -1, out: r.stdout, err: r.stderr.toString() };
}

function files(r: Recipient): { cert: string; key: string } {
  const cert = join(dir, `${r.name}.pem`);
  const key = join(dir, `${r.name}.key`);
  writeFileSync(cert, r.certificatePem);
  writeFileSync(key, r.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { cert, key };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-env-'));
  expect((await devInit(dir)).ok).toBe(true);
  const transport = await readDevIdentity(dir, 'transport');
  if (!transport.ok) throw new Error(transport.message);
  ec = { name: 'ec', ...transport.value };
  const r = await issueDevCertificate(dir, { contour: 'cbr', keyAlgorithm: 'rsa-2048' });
  rsa = { name: 'rsa', ...r };
  other = await issueDevCertificate(dir, { contour: 'cbr' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const message = new TextEncoder().encode('<ED101 xmlns="urn:cbr-ru:ed:v2.0">Платёж</ED101>\n');

describe('encryptFor / decrypt', () => {
  it.each([
    ['an EC P-256 recipient (ECDH, AES key wrap, AES-256-CBC)', () => ec, /dhSinglePass-stdDH-sha256kdf/],
    ['an RSA recipient (RSA-OAEP SHA-256, AES-256-CBC)', () => rsa, /rsaesOaep/],
  ])('openssl cms -decrypt opens what encryptFor makes for %s, and decrypt round-trips', async (_n, who, keyAlg) => {
    const r = who();
    const env = await encryptFor(message, r.certificateDer);
    const f = files(r);
    const envFile = join(dir, `${r.name}.env.der`);
    writeFileSync(envFile, env);
    const o = openssl([
      'cms',
      '-decrypt',
      '-binary',
      '-inform',
      'DER',
      '-in',
      envFile,
      '-recip',
      f.cert,
      '-inkey',
      f.key,
    ]);
    expect(o.status, o.err).toBe(0);
    expect(Buffer.from(o.out).equals(Buffer.from(message))).toBe(true);
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', envFile]).out.toString();
    expect(printed).toMatch(keyAlg);
    expect(printed).toMatch(/aes-256-cbc/);
    const back = await decrypt(env, r.privateKey, r.certificateDer);
    expect(back.ok && Buffer.from(back.value).equals(Buffer.from(message))).toBe(true);
  });

  it('encrypts afresh each time (new content key and IV)', async () => {
    const a = await encryptFor(message, ec.certificateDer);
    const b = await encryptFor(message, ec.certificateDer);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('round-trips empty and large content', async () => {
    for (const content of [new Uint8Array(), new Uint8Array(1_000_000).fill(7)]) {
      const back = await decrypt(await encryptFor(content, rsa.certificateDer), rsa.privateKey, rsa.certificateDer);
      expect(back.ok && Buffer.from(back.value).equals(Buffer.from(content))).toBe(true);
    }
  });

  it('opens an envelope openssl makes with RSA-OAEP-SHA256', async () => {
    const f = files(rsa);
    const o = openssl(
      [
        'cms',
        '-encrypt',
        '-binary',
        '-aes-256-cbc',
        '-outform',
        'DER',
        '-recip',
        f.cert,
        '-keyopt',
        'rsa_padding_mode:oaep',
        '-keyopt',
        'rsa_oaep_md:sha256',
      ],
      message,
    );
    expect(o.status, o.err).toBe(0);
    const back = await decrypt(new Uint8Array(o.out), rsa.privateKey, rsa.certificateDer);
    expect(back.ok && Buffer.from(back.value).equals(Buffer.from(message))).toBe(true);
  });

  it("refuses OpenSSL's default RSA PKCS#1 v1.5 key transport with ENC_UNSUPPORTED_ALGORITHM", async () => {
    const f = files(rsa);
    const o = openssl(['cms', '-encrypt', '-binary', '-aes-256-cbc', '-outform', 'DER', '-recip', f.cert], message);
    expect(o.status, o.err).toBe(0);
    expect(await decrypt(new Uint8Array(o.out), rsa.privateKey, rsa.certificateDer)).toMatchObject({
      ok: false,
      code: 'ENC_UNSUPPORTED_ALGORITHM',
    });
  });

  it('refuses content encrypted with something other than AES-CBC', async () => {
    const f = files(rsa);
    const o = openssl(['cms', '-encrypt', '-binary', '-des3', '-outform', 'DER', '-recip', f.cert], message);
    expect(o.status, o.err).toBe(0);
    expect(await decrypt(new Uint8Array(o.out), rsa.privateKey, rsa.certificateDer)).toMatchObject({
      code: 'ENC_UNSUPPORTED_ALGORITHM',
    });
  });

  it('says ENC_NOT_FOR_RECIPIENT for an envelope made for someone else', async () => {
    const env = await encryptFor(message, other.certificateDer);
    expect(await decrypt(env, ec.privateKey, ec.certificateDer)).toMatchObject({
      ok: false,
      code: 'ENC_NOT_FOR_RECIPIENT',
    });
  });

  it('says ENC_KEY_MISMATCH when the key is not the certificate’s', async () => {
    const env = await encryptFor(message, ec.certificateDer);
    expect(await decrypt(env, other.privateKey, ec.certificateDer)).toMatchObject({
      ok: false,
      code: 'ENC_KEY_MISMATCH',
    });
    expect(await decrypt(env, rsa.privateKey, ec.certificateDer)).toMatchObject({
      ok: false,
      code: 'ENC_KEY_MISMATCH',
    });
  });

  it('says ENC_DECRYPT_FAILED when the wrapped key was tampered with', async () => {
    const env = await encryptFor(message, rsa.certificateDer);
    // The RSA-OAEP encryptedKey is the 256-octet OCTET STRING (04 82 01 00 ...): flip one of its bytes.
    const start = Buffer.from(env).indexOf(Buffer.from([0x04, 0x82, 0x01, 0x00]));
    expect(start).toBeGreaterThan(0);
    const at = start + 4 + 10;
    const changed = new Uint8Array(env);
    changed[at] = changed[at]! ^ 0x01;
    expect(await decrypt(changed, rsa.privateKey, rsa.certificateDer)).toMatchObject({
      ok: false,
      code: 'ENC_DECRYPT_FAILED',
    });
  });

  it.each([
    ['an Ed25519 certificate key', 'ed25519'],
    ['garbage instead of a certificate', 'garbage'],
  ])('encryptFor throws EnvelopeError for %s', async (_n, kind) => {
    let cert: Uint8Array;
    if (kind === 'garbage') cert = new TextEncoder().encode('nope');
    else {
      const k = generateKeyPairSync('ed25519');
      const key = join(dir, 'ed.key');
      writeFileSync(key, k.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const pem = openssl(['req', '-x509', '-new', '-key', key, '-subj', '/CN=ed', '-days', '1']).out.toString();
      cert = new Uint8Array(
        Buffer.from(
          pem
            .split('\n')
            .filter((l) => !l.startsWith('-----'))
            .join(''),
          'base64',
        ),
      );
    }
    await expect(encryptFor(message, cert)).rejects.toBeInstanceOf(EnvelopeError);
  });

  it('never throws on arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        const r = await decrypt(bytes, ec.privateKey, ec.certificateDer);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.code).toMatch(/^ENC_/);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on an envelope with any byte changed', async () => {
    const env = await encryptFor(message, ec.certificateDer);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: env.length - 1 }), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const changed = new Uint8Array(env);
        changed[i] = changed[i]! ^ x;
        const r = await decrypt(changed, ec.privateKey, ec.certificateDer);
        // CBC has no integrity (the signatures inside provide it): a change in the IV or the
        // ciphertext can still yield ok with other bytes. Anything else must be a coded failure.
        if (!r.ok) expect(r.code).toMatch(/^ENC_/);
      }),
      { numRuns: 150 },
    );
  });
});
