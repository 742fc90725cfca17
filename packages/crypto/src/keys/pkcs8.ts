import { createCipheriv, createPrivateKey, type KeyObject, randomBytes, scryptSync } from 'node:crypto';
import type { Result } from '@twincontour/ufebs';
import {
  children,
  content,
  encoding,
  integer,
  octetString,
  oid,
  readWhole,
  sequence,
  smallInteger,
  TAG,
  type Tlv,
} from '../certs/der.js';
import { readAlgorithm } from '../certs/parse.js';

const OID = {
  PBES2: '1.2.840.113549.1.5.13',
  PBKDF2: '1.2.840.113549.1.5.12',
  SCRYPT: '1.3.6.1.4.1.11591.4.11',
  AES256_CBC: '2.16.840.1.101.3.4.1.42',
  PBE_SHA1_3DES: '1.2.840.113549.1.12.1.3',
} as const;

const PRFS = new Set([
  '1.2.840.113549.2.7', // hmacWithSHA1 (the PBKDF2 default)
  '1.2.840.113549.2.8',
  '1.2.840.113549.2.9',
  '1.2.840.113549.2.10',
  '1.2.840.113549.2.11',
]);
const CIPHERS = new Set([
  '2.16.840.1.101.3.4.1.2', // aes-128-cbc
  '2.16.840.1.101.3.4.1.22', // aes-192-cbc
  OID.AES256_CBC,
  '1.2.840.113549.3.7', // des-ede3-cbc
]);

/**
 * Bounds on key-derivation cost read from a file: a hostile file must not make the gateway spin
 * for hours or allocate gigabytes before it can say "wrong passphrase".
 */
const MAX_ITERATIONS = 10_000_000;
const MAX_SCRYPT_N = 1 << 20;

/**
 * scrypt parameters for the key files we write: OpenSSL's own `pkcs8 -scrypt` defaults
 * (N=16384, r=8, p=1: 16 MiB, tens of milliseconds). Node's `export({ cipher })` would use PBKDF2
 * with only 2048 iterations, so the EncryptedPrivateKeyInfo is built here instead.
 */
const SCRYPT = { N: 16384, r: 8, p: 1 } as const;

/** A passphrase as given by the operator: text (UTF-8) or raw bytes. */
export type Passphrase = string | Uint8Array;

/** The passphrase as bytes (UTF-8 for text). */
export function passphraseBytes(passphrase: Passphrase): Buffer {
  return typeof passphrase === 'string' ? Buffer.from(passphrase, 'utf8') : Buffer.from(passphrase);
}

/**
 * Encrypts a private key as PKCS#8 PEM (`ENCRYPTED PRIVATE KEY`): PBES2 with scrypt and
 * AES-256-CBC. OpenSSL (`openssl pkey -in key.pem`) and node:crypto read it. Throws on a public key
 * or an empty passphrase: both are programming errors.
 */
export function writeEncryptedPrivateKey(key: KeyObject, passphrase: Passphrase): string {
  if (key.type !== 'private') throw new TypeError('writeEncryptedPrivateKey needs a private key');
  const pass = passphraseBytes(passphrase);
  if (pass.length === 0) throw new RangeError('writeEncryptedPrivateKey needs a non-empty passphrase');
  const plain = key.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const kek = scryptSync(pass, salt, 32, { ...SCRYPT, maxmem: 64 * 1024 * 1024 });
  const cipher = createCipheriv('aes-256-cbc', kek, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  kek.fill(0);
  plain.fill(0);
  const der = sequence(
    sequence(
      oid(OID.PBES2),
      sequence(
        sequence(oid(OID.SCRYPT), sequence(octetString(salt), integer(SCRYPT.N), integer(SCRYPT.r), integer(SCRYPT.p))),
        sequence(oid(OID.AES256_CBC), octetString(iv)),
      ),
    ),
    octetString(encrypted),
  );
  const b64 =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${b64.join('\n')}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
}

/** A key, or why it could not be read. */
export type KeyResult = Result<KeyObject>;
const unreadable = (message: string): KeyResult => ({ ok: false, code: 'KEY_UNREADABLE', message });
const badPassphrase = (): KeyResult => ({
  ok: false,
  code: 'KEY_BAD_PASSPHRASE',
  message: 'the passphrase does not open this key',
});

/** Reads a small INTEGER TLV, or undefined. */
export function intAt(buf: Uint8Array, t: Tlv | undefined): number | undefined {
  return t && t.tag === TAG.INTEGER ? smallInteger(content(buf, t)) : undefined;
}

/**
 * Checks an EncryptedPrivateKeyInfo's algorithm is one node:crypto opens and that its cost is
 * bounded. Returns undefined when acceptable, else a reason. Knowing the algorithm is supported is
 * what lets any later decryption failure be reported as a wrong passphrase.
 */
function checkEncryptionAlgorithm(der: Uint8Array, algT: Tlv): string | undefined {
  const alg = readAlgorithm(der, algT);
  if (!alg?.parameters) return 'no key encryption algorithm';
  const params = alg.parameters;
  const pT = readWhole(params, TAG.SEQUENCE);
  const p = pT && children(params, pT);
  if (!p) return 'bad key encryption parameters';
  if (alg.oid === OID.PBE_SHA1_3DES) {
    // PKCS#12 PBE (what `openssl pkcs12 -export -legacy` uses for the key bag): { salt, iterations }.
    const it = intAt(params, p[1]);
    if (p.length !== 2 || p[0]!.tag !== TAG.OCTET_STRING || it === undefined) return 'bad PBE parameters';
    return it > MAX_ITERATIONS ? 'iteration count too high' : undefined;
  }
  if (alg.oid !== OID.PBES2) return `unsupported key encryption ${alg.oid}`;
  if (p.length !== 2) return 'bad PBES2 parameters';
  const kdf = readAlgorithm(params, p[0]!);
  const enc = readAlgorithm(params, p[1]!);
  if (!kdf?.parameters || !enc) return 'bad PBES2 parameters';
  if (!CIPHERS.has(enc.oid)) return `unsupported cipher ${enc.oid}`;
  const kp = kdf.parameters;
  const kT = readWhole(kp, TAG.SEQUENCE);
  const k = kT && children(kp, kT);
  if (!k || k.length < 2 || k[0]!.tag !== TAG.OCTET_STRING) return 'bad key derivation parameters';
  if (kdf.oid === OID.PBKDF2) {
    const it = intAt(kp, k[1]);
    if (it === undefined || it > MAX_ITERATIONS) return 'bad or excessive PBKDF2 iteration count';
    const prfT = k.find((x, i) => i >= 2 && x.tag === TAG.SEQUENCE);
    const prf = prfT ? readAlgorithm(kp, prfT) : undefined;
    if (prfT && (!prf || !PRFS.has(prf.oid))) return 'unsupported PBKDF2 PRF';
    return undefined;
  }
  if (kdf.oid === OID.SCRYPT) {
    const [n, r, pp] = [intAt(kp, k[1]), intAt(kp, k[2]), intAt(kp, k[3])];
    if (n === undefined || r === undefined || pp === undefined) return 'bad scrypt parameters';
    if (n > MAX_SCRYPT_N || r > 32 || pp > 16) return 'excessive scrypt parameters';
    return undefined;
  }
  return `unsupported key derivation ${kdf.oid}`;
}

/**
 * Opens an encrypted PKCS#8 DER (EncryptedPrivateKeyInfo) with the passphrase. Used for key files
 * and for PKCS#12 shrouded key bags, which hold the same structure.
 */
export function openEncryptedPkcs8(der: Uint8Array, passphrase: Passphrase): KeyResult {
  const root = readWhole(der, TAG.SEQUENCE);
  if (!root) return unreadable('not an EncryptedPrivateKeyInfo');
  const f = children(der, root);
  if (f?.length !== 2 || f[1]!.tag !== TAG.OCTET_STRING) return unreadable('not an EncryptedPrivateKeyInfo');
  const problem = checkEncryptionAlgorithm(der, f[0]!);
  if (problem) return unreadable(problem);
  try {
    const key = createPrivateKey({
      key: Buffer.from(encoding(der, root)),
      format: 'der',
      type: 'pkcs8',
      passphrase: passphraseBytes(passphrase),
    });
    return { ok: true, value: key };
  } catch {
    // The structure and algorithm are known-good, so a failure here is the passphrase: AES-CBC
    // padding fails (or, once in ~250 tries, the garbage plaintext fails to decode). The OpenSSL
    // error is not passed on: it says nothing useful and must never carry secrets.
    return badPassphrase();
  }
}
