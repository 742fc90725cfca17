import { children, readWhole, TAG } from '../certs/der.js';
import { pemBlocks } from '../certs/pem.js';
import { intAt, type KeyResult, openEncryptedPkcs8, type Passphrase } from './pkcs8.js';
import { readPkcs12 } from './pkcs12.js';

/** Key files larger than this are refused unread. */
export const MAX_KEY_FILE_BYTES = 1024 * 1024;

const unreadable = (message: string): KeyResult => ({ ok: false, code: 'KEY_UNREADABLE', message });
const notEncrypted = (): KeyResult => ({
  ok: false,
  code: 'KEY_NOT_ENCRYPTED',
  message: 'the key file is not encrypted; key files must be',
});

/** What a DER blob looks like, without decrypting anything. */
function classify(der: Uint8Array): 'encrypted-pkcs8' | 'plain-pkcs8' | 'pkcs12' | undefined {
  const root = readWhole(der, TAG.SEQUENCE);
  const f = root && children(der, root);
  if (!f) return undefined;
  // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier, encryptedData OCTET STRING }
  if (f.length === 2 && f[0]!.tag === TAG.SEQUENCE && f[1]!.tag === TAG.OCTET_STRING) return 'encrypted-pkcs8';
  // PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }
  if ((f.length === 2 || f.length === 3) && intAt(der, f[0]) === 3 && f[1]!.tag === TAG.SEQUENCE) return 'pkcs12';
  // PrivateKeyInfo ::= SEQUENCE { version INTEGER, privateKeyAlgorithm, privateKey OCTET STRING, ... }
  if (f.length >= 3 && f[0]!.tag === TAG.INTEGER && f[1]!.tag === TAG.SEQUENCE && f[2]!.tag === TAG.OCTET_STRING) {
    return 'plain-pkcs8';
  }
  return undefined;
}

/**
 * Reads a private key from a key file's bytes: encrypted PKCS#8 (PEM `ENCRYPTED PRIVATE KEY` or
 * DER) or PKCS#12 (.p12/.pfx, including the PBE-SHA1-3DES of `openssl pkcs12 -export -legacy`).
 * Unencrypted keys are refused (`KEY_NOT_ENCRYPTED`). Never throws; never includes the passphrase
 * in a result.
 */
export async function readPrivateKey(fileBytes: Uint8Array | string, passphrase: Passphrase): Promise<KeyResult> {
  try {
    const bytes = typeof fileBytes === 'string' ? new Uint8Array(Buffer.from(fileBytes, 'utf8')) : fileBytes;
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) return unreadable('empty key file');
    if (bytes.length > MAX_KEY_FILE_BYTES) return unreadable('key file too large');
    let der: Uint8Array;
    if (bytes[0] === 0x30) {
      der = bytes;
    } else {
      const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
      if (/-----BEGIN (RSA |EC |)PRIVATE KEY-----/.test(text) && !/Proc-Type: 4,ENCRYPTED/.test(text)) {
        return notEncrypted();
      }
      const block = pemBlocks(text).find((b) => b.label === 'ENCRYPTED PRIVATE KEY');
      if (!block) return unreadable('no encrypted private key found');
      der = block.der;
    }
    switch (classify(der)) {
      case 'encrypted-pkcs8':
        return openEncryptedPkcs8(der, passphrase);
      case 'pkcs12':
        return await readPkcs12(der, passphrase);
      case 'plain-pkcs8':
        return notEncrypted();
      default:
        return unreadable('not an encrypted PKCS#8 or PKCS#12 key');
    }
  } catch {
    return unreadable('key file could not be read');
  }
}
