import { type KeyObject, generateKeyPair as nodeGenerateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';

/** Key algorithms the gateway generates (802-П п. 13: the participant makes its own keys). */
export type KeyAlgorithm = 'ecdsa-p256' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

/** Every supported {@link KeyAlgorithm}. */
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = Object.freeze([
  'ecdsa-p256',
  'rsa-2048',
  'rsa-3072',
  'rsa-4096',
]);

/** A freshly generated key pair. */
export interface GeneratedKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const generate = promisify(nodeGenerateKeyPair);

/**
 * Generates a key pair with node:crypto (asynchronously: RSA-4096 takes seconds). ECDSA keys are
 * P-256; RSA keys use the public exponent 65537.
 */
export async function generateKeyPair(options: { algorithm: KeyAlgorithm }): Promise<GeneratedKeyPair> {
  switch (options.algorithm) {
    case 'ecdsa-p256':
      return generate('ec', { namedCurve: 'P-256' });
    case 'rsa-2048':
    case 'rsa-3072':
    case 'rsa-4096':
      return generate('rsa', { modulusLength: Number(options.algorithm.slice(4)), publicExponent: 0x10001 });
    default:
      throw new TypeError(`unknown key algorithm ${String(options.algorithm)}`);
  }
}
