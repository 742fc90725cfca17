import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, KEY_ALGORITHMS } from './generate.js';
import { readPrivateKey } from './key-file.js';
import { writeEncryptedPrivateKey } from './pkcs8.js';
import { samePublicKey } from './same-key.js';

let dir: string;
let ec: KeyObject;
let rsa: KeyObject;

const sameKey = (a: KeyObject, b: KeyObject): boolean => samePublicKey(a, b);

function openssl(args: string[], input?: Uint8Array): string {
  return execFileSync('openssl', args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-keys-'));
  ec = (await generateKeyPair({ algorithm: 'ecdsa-p256' })).privateKey;
  rsa = (await generateKeyPair({ algorithm: 'rsa-2048' })).privateKey;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('generateKeyPair', () => {
  it.each(KEY_ALGORITHMS)('makes a %s key pair', async (algorithm) => {
    const { privateKey, publicKey } = await generateKeyPair({ algorithm });
    expect(privateKey.type).toBe('private');
    expect(samePublicKey(privateKey, publicKey)).toBe(true);
    if (algorithm === 'ecdsa-p256') {
      expect(privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    } else {
      expect(privateKey.asymmetricKeyType).toBe('rsa');
      expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(Number(algorithm.slice(4)));
      expect(privateKey.asymmetricKeyDetails?.publicExponent).toBe(65537n);
    }
  });
});

describe('encrypted PKCS#8 key files', () => {
  it.each([
    ['ECDSA', () => ec],
    ['RSA', () => rsa],
  ])('round-trips a %s key and OpenSSL opens the file (PBES2, scrypt, AES-256-CBC)', async (_n, key) => {
    const pem = writeEncryptedPrivateKey(key(), 'correct horse');
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    const back = await readPrivateKey(pem, 'correct horse');
    expect(back.ok && sameKey(back.value, key())).toBe(true);
    const file = join(dir, 'key.pem');
    writeFileSync(file, pem);
    const structure = openssl(['asn1parse', '-in', file]);
    expect(structure).toMatch(/:PBES2/);
    expect(structure).toMatch(/:id-scrypt|:scrypt/);
    expect(structure).toMatch(/:aes-256-cbc/);
    const plain = openssl(['pkey', '-in', file, '-passin', 'pass:correct horse']);
    expect(sameKey(createPrivateKey(plain), key())).toBe(true);
  });

  it('gives KEY_BAD_PASSPHRASE for a wrong passphrase, without echoing either passphrase', async () => {
    const pem = writeEncryptedPrivateKey(ec, 'the-right-one');
    for (let i = 0; i < 5; i++) {
      const r = await readPrivateKey(pem, `wrong-${i}`);
      expect(r).toMatchObject({ ok: false, code: 'KEY_BAD_PASSPHRASE' });
      expect(JSON.stringify(r)).not.toMatch(/wrong-|the-right-one/);
    }
  });

  it.each([
    ['PBES2 AES-256-CBC, PEM', ['-v2', 'aes-256-cbc'], 'PEM'],
    ['PBES2 AES-128-CBC with HMAC-SHA1, DER', ['-v2', 'aes-128-cbc', '-v2prf', 'hmacWithSHA1'], 'DER'],
    ['scrypt, DER', ['-scrypt'], 'DER'],
    ['PBE-SHA1-3DES (legacy), PEM', ['-v1', 'PBE-SHA1-3DES'], 'PEM'],
  ])('reads a key encrypted by openssl pkcs8 (%s)', async (_n, opts, form) => {
    const plain = join(dir, 'plain.pem');
    writeFileSync(plain, ec.export({ type: 'pkcs8', format: 'pem' }));
    const out = join(dir, `enc.${form}`);
    openssl(['pkcs8', '-topk8', '-in', plain, ...opts, '-outform', form, '-out', out, '-passout', 'pass:s3cret']);
    const r = await readPrivateKey(readFileSync(out), 's3cret');
    expect(r.ok && sameKey(r.value, ec)).toBe(true);
    expect(await readPrivateKey(readFileSync(out), 'nope')).toMatchObject({ code: 'KEY_BAD_PASSPHRASE' });
  });

  it.each([
    ['PKCS#8 PEM', () => ec.export({ type: 'pkcs8', format: 'pem' })],
    ['PKCS#8 DER', () => ec.export({ type: 'pkcs8', format: 'der' })],
    ['SEC1 PEM', () => ec.export({ type: 'sec1', format: 'pem' })],
    ['PKCS#1 PEM', () => rsa.export({ type: 'pkcs1', format: 'pem' })],
  ])('refuses an unencrypted %s key with KEY_NOT_ENCRYPTED', async (_n, make) => {
    const bytes = make();
    expect(await readPrivateKey(typeof bytes === 'string' ? bytes : new Uint8Array(bytes), 'x')).toMatchObject({
      ok: false,
      code: 'KEY_NOT_ENCRYPTED',
    });
  });

  it('refuses a key file whose PBKDF2 iteration count would stall the gateway', async () => {
    // 2^24 iterations: refused from the structure, before any key derivation runs.
    const enc = ec.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: 'p' });
    const patched = patchIterations(new Uint8Array(enc), 1 << 24);
    const structure = openssl(['asn1parse', '-inform', 'DER'], patched);
    expect(structure).toMatch(/INTEGER\s+:01000000/);
    const started = Date.now();
    expect(await readPrivateKey(patched, 'p')).toMatchObject({ code: 'KEY_UNREADABLE' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('throws on programming errors: a public key or an empty passphrase', () => {
    expect(() => writeEncryptedPrivateKey(createPublicKey(ec), 'x')).toThrow(TypeError);
    expect(() => writeEncryptedPrivateKey(ec, '')).toThrow(RangeError);
  });

  it('never throws on arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.string({ maxLength: 16 }), async (bytes, pass) => {
        const r = await readPrivateKey(bytes, pass);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(['KEY_UNREADABLE', 'KEY_NOT_ENCRYPTED', 'KEY_BAD_PASSPHRASE']).toContain(r.code);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on a key file with any byte changed', async () => {
    const der = new Uint8Array(
      Buffer.from(writeEncryptedPrivateKey(ec, 'pw').split('\n').slice(1, -2).join(''), 'base64'),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: der.length - 1 }), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const changed = new Uint8Array(der);
        changed[i] = changed[i]! ^ x;
        const r = await readPrivateKey(changed, 'pw');
        // A changed byte in the IV or the last ciphertext block can still decrypt to the same
        // key (CBC has no integrity); any other outcome must be a coded failure.
        if (r.ok) expect(sameKey(r.value, ec)).toBe(true);
        else expect(['KEY_UNREADABLE', 'KEY_BAD_PASSPHRASE', 'KEY_NOT_ENCRYPTED']).toContain(r.code);
      }),
      { numRuns: 40 },
    );
  });
});

/**
 * Rewrites the PBKDF2 iteration count of node's default encrypted PKCS#8 (2048, `02 02 08 00`) to a
 * four-octet count, and grows the lengths of the structures that enclose it by the two extra octets.
 */
function patchIterations(der: Uint8Array, iterations: number): Uint8Array {
  const hex = Buffer.from(der).toString('hex');
  const at = hex.indexOf('02020800');
  if (at < 0) throw new Error('iteration count not found');
  const patched = `${hex.slice(0, at)}0204${iterations.toString(16).padStart(8, '0')}${hex.slice(at + 8)}`;
  return fixLengths(Buffer.from(patched, 'hex'), 2);
}

/** Adds `delta` to the length of each SEQUENCE on the way from the root to the PBKDF2 parameters. */
function fixLengths(der: Buffer, delta: number): Uint8Array {
  const out = Buffer.from(der);
  const bump = (offset: number): number => {
    if (out[offset + 1]! < 0x80) {
      out[offset + 1]! += delta;
      return offset + 2;
    }
    const n = out[offset + 1]! & 0x7f;
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + out[offset + 2 + i]!;
    len += delta;
    for (let i = n - 1; i >= 0; i--) {
      out[offset + 2 + i] = len & 0xff;
      len >>= 8;
    }
    return offset + 2 + n;
  };
  let p = bump(0); // EncryptedPrivateKeyInfo
  p = bump(p); // AlgorithmIdentifier
  p += 2 + out[p + 1]!; // PBES2 OID
  p = bump(p); // PBES2-params
  p = bump(p); // keyDerivationFunc
  p += 2 + out[p + 1]!; // PBKDF2 OID
  bump(p); // PBKDF2-params
  return new Uint8Array(out);
}

describe('PKCS#12', () => {
  let certFile: string;
  let keyFile: string;
  beforeAll(() => {
    keyFile = join(dir, 'p12.key');
    certFile = join(dir, 'p12.pem');
    writeFileSync(keyFile, rsa.export({ type: 'pkcs8', format: 'pem' }));
    openssl(['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=p12 test', '-days', '2', '-out', certFile]);
  });

  it.each([
    ['OpenSSL 3 default (PBES2, AES-256-CBC, HMAC-SHA256 MAC)', []],
    ['-legacy (PBE-SHA1-3DES key, RC2 certificates, SHA-1 MAC)', ['-legacy']],
  ])('reads a .p12 made by openssl pkcs12 -export, %s', async (_n, extra) => {
    const out = join(dir, `k${extra.length}.p12`);
    const r0 = spawnSync(
      'openssl',
      ['pkcs12', '-export', ...extra, '-in', certFile, '-inkey', keyFile, '-out', out, '-passout', 'pass:p12-pass'],
      {
        encoding: 'utf8',
      },
    );
    expect(r0.status, r0.stderr).toBe(0);
    const bytes = readFileSync(out);
    const r = await readPrivateKey(bytes, 'p12-pass');
    expect(r.ok && sameKey(r.value, rsa)).toBe(true);
    expect(await readPrivateKey(bytes, 'wrong')).toMatchObject({ ok: false, code: 'KEY_BAD_PASSPHRASE' });
  });

  it('refuses a .p12 whose key bag is not encrypted', async () => {
    const out = join(dir, 'nokeypbe.p12');
    openssl([
      'pkcs12',
      '-export',
      '-keypbe',
      'NONE',
      '-certpbe',
      'NONE',
      '-in',
      certFile,
      '-inkey',
      keyFile,
      '-out',
      out,
      '-passout',
      'pass:x',
    ]);
    expect(await readPrivateKey(readFileSync(out), 'x')).toMatchObject({ code: 'KEY_NOT_ENCRYPTED' });
  });

  it('refuses a .p12 with no key', async () => {
    const out = join(dir, 'nokey.p12');
    openssl(['pkcs12', '-export', '-nokeys', '-in', certFile, '-out', out, '-passout', 'pass:x']);
    expect(await readPrivateKey(readFileSync(out), 'x')).toMatchObject({ code: 'KEY_UNREADABLE' });
  });
});
