import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM sealing of webhook secrets at rest (the database never holds them in clear). The sealed
 * form is `nonce (12) || ciphertext || tag (16)`; the associated data binds a sealed secret to its row
 * (the subscription id), so a ciphertext copied onto another subscription does not open.
 */

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Length of the key: AES-256. */
export const SECRET_BOX_KEY_BYTES = 32;

function assertKey(key: Uint8Array): void {
  // A wrong key length is a configuration bug the config schema already refuses.
  if (key.length !== SECRET_BOX_KEY_BYTES) throw new Error('secret-box key must be 32 bytes');
}

/** Encrypts `plaintext` under `key`, bound to `associated`. */
export function sealSecret(key: Uint8Array, plaintext: string, associated: string): Buffer {
  assertKey(key);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(associated, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/**
 * Decrypts a sealed secret. Answers `undefined` when it does not open (another key, another row, altered
 * bytes): the caller reports that, never the bytes.
 */
export function openSecret(key: Uint8Array, sealed: Uint8Array, associated: string): string | undefined {
  assertKey(key);
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  const bytes = Buffer.from(sealed);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(associated, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return plain.toString('utf8');
  } catch {
    return undefined;
  }
}
