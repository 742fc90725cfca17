import { constants, createPublicKey, type KeyObject, verify } from 'node:crypto';

/** An AlgorithmIdentifier as read from a certificate or CRL: OID and the raw DER of its parameters. */
export interface RawAlgorithm {
  oid: string;
  /** The whole TLV of the parameters, when present. */
  parameters?: Uint8Array;
}

/**
 * Verifies a signature by an algorithm node:crypto does not know (GOST R 34.10-2012 through a
 * provider, for one). Receives the signed bytes, the signature value and the issuer's
 * SubjectPublicKeyInfo DER; must not throw.
 */
export type SignatureVerifier = (
  algorithm: RawAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
  issuerSpki: Uint8Array,
) => boolean;

const NULL_PARAMS = Uint8Array.of(0x05, 0x00);

type Builtin = { hash: string | null; family: 'ec' | 'rsa' | 'ed25519' };

/** The certificate and CRL signature algorithms verified natively; SHA-1 is deliberately absent. */
const BUILTIN: Readonly<Record<string, Builtin>> = {
  '1.2.840.10045.4.3.2': { hash: 'sha256', family: 'ec' },
  '1.2.840.10045.4.3.3': { hash: 'sha384', family: 'ec' },
  '1.2.840.10045.4.3.4': { hash: 'sha512', family: 'ec' },
  '1.2.840.113549.1.1.11': { hash: 'sha256', family: 'rsa' },
  '1.2.840.113549.1.1.12': { hash: 'sha384', family: 'rsa' },
  '1.2.840.113549.1.1.13': { hash: 'sha512', family: 'rsa' },
  '1.3.101.112': { hash: null, family: 'ed25519' },
};

/** Human-readable names of the signature algorithms we know, for `cert show`. */
export const SIGNATURE_ALGORITHM_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.3.101.112': 'Ed25519',
  '1.2.643.7.1.1.3.2': 'GOST R 34.10-2012-256 with GOST R 34.11-2012-256',
  '1.2.643.7.1.1.3.3': 'GOST R 34.10-2012-512 with GOST R 34.11-2012-512',
};

/** Whether a signature algorithm can be verified: natively, or by a configured verifier. */
export function isSupportedSignatureAlgorithm(
  oid: string,
  extra: Readonly<Record<string, SignatureVerifier>> = {},
): boolean {
  return oid in BUILTIN || oid in extra;
}

function paramsOk(b: Builtin, params: Uint8Array | undefined): boolean {
  // RFC 5758 3.2 / RFC 8410 3: ECDSA and Ed25519 identifiers carry no parameters;
  // RFC 4055 5: PKCS#1 v1.5 carries NULL (absent is tolerated, as OpenSSL does).
  if (b.family === 'rsa') return params === undefined || Buffer.from(params).equals(NULL_PARAMS);
  return params === undefined;
}

/** Loads a SubjectPublicKeyInfo into a KeyObject; undefined when node:crypto cannot. */
export function publicKeyFromSpki(spki: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

/**
 * Verifies `signature` over `data` with the issuer's key. Synchronous (node:crypto), so the trust
 * store's `check` stays synchronous. Never throws: anything unexpected is "not verified".
 */
export function verifySignature(
  algorithm: RawAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
  issuerSpki: Uint8Array,
  issuerKey: KeyObject | undefined,
  extra: Readonly<Record<string, SignatureVerifier>> = {},
): boolean {
  const custom = extra[algorithm.oid];
  if (custom) {
    try {
      return custom(algorithm, data, signature, issuerSpki) === true;
    } catch {
      return false;
    }
  }
  const b = BUILTIN[algorithm.oid];
  if (!b || !issuerKey || !paramsOk(b, algorithm.parameters)) return false;
  const type = issuerKey.asymmetricKeyType;
  if (
    (b.family === 'ec' && type !== 'ec') ||
    (b.family === 'rsa' && type !== 'rsa') ||
    (b.family === 'ed25519' && type !== 'ed25519')
  ) {
    return false;
  }
  try {
    const key = b.family === 'rsa' ? { key: issuerKey, padding: constants.RSA_PKCS1_PADDING } : issuerKey;
    return verify(b.hash, data, key, signature);
  } catch {
    return false;
  }
}
