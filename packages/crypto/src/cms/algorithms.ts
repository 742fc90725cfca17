/**
 * Dispatch tables from the OIDs written in a SignerInfo to node:crypto primitives. Verification
 * never assumes an algorithm (DESIGN.md, Crypto): it looks the OIDs up here, and an OID that is not
 * listed is reported as `SIG_UNSUPPORTED_ALGORITHM`. A GOST provider adds rows here.
 */
import { constants, createHash, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { OID } from './oids.js';

/** A digest algorithm the package can compute. */
export interface DigestAlgorithm {
  /** node:crypto hash name. */
  readonly hash: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  readonly length: number;
}

// SHA-1 is deliberately absent: a signature over a SHA-1 digest is not accepted (RFC 8933 era).
const DIGESTS: ReadonlyMap<string, DigestAlgorithm> = new Map([
  [OID.sha256, { hash: 'sha256', length: 32 }],
  [OID.sha384, { hash: 'sha384', length: 48 }],
  [OID.sha512, { hash: 'sha512', length: 64 }],
]);

/**
 * SHA-1, only to match the certificate hash of an RFC 2634 signingCertificate attribute (it names a
 * certificate there, it protects no signature). Not returned by `digestAlgorithm`.
 */
export const SHA1_CERT_ID: DigestAlgorithm = { hash: 'sha1', length: 20 };

/** The digest algorithm for an OID, if supported. */
export function digestAlgorithm(oid: string): DigestAlgorithm | undefined {
  return DIGESTS.get(oid);
}

/** Hashes bytes with a supported digest algorithm. */
export function digest(alg: DigestAlgorithm, data: Uint8Array): Uint8Array {
  return createHash(alg.hash).update(data).digest();
}

interface SignatureAlgorithm {
  readonly family: 'rsa-pkcs1' | 'ecdsa';
  /** Hash fixed by the OID; undefined when the OID names only the key type and the SignerInfo's digestAlgorithm applies. */
  readonly hash?: DigestAlgorithm['hash'];
}

const SIGNATURES: ReadonlyMap<string, SignatureAlgorithm> = new Map<string, SignatureAlgorithm>([
  // OpenSSL writes rsaEncryption in SignerInfo.signatureAlgorithm (RFC 5754 §3.2 allows it): the
  // hash is then the SignerInfo's digestAlgorithm.
  [OID.rsaEncryption, { family: 'rsa-pkcs1' }],
  [OID.sha256WithRSAEncryption, { family: 'rsa-pkcs1', hash: 'sha256' }],
  [OID.sha384WithRSAEncryption, { family: 'rsa-pkcs1', hash: 'sha384' }],
  [OID.sha512WithRSAEncryption, { family: 'rsa-pkcs1', hash: 'sha512' }],
  // Some producers put the key algorithm id-ecPublicKey here; the digestAlgorithm then applies.
  [OID.ecPublicKey, { family: 'ecdsa' }],
  [OID.ecdsaWithSHA256, { family: 'ecdsa', hash: 'sha256' }],
  [OID.ecdsaWithSHA384, { family: 'ecdsa', hash: 'sha384' }],
  [OID.ecdsaWithSHA512, { family: 'ecdsa', hash: 'sha512' }],
]);

/** The smallest RSA modulus accepted for a signature, in bits (same floor as the software signer). */
export const MIN_RSA_BITS = 2048;

/** Outcome of checking one signature value. */
export type SignatureCheck = 'valid' | 'invalid' | 'unsupported';

/**
 * Verifies `signature` over `data` with `key`, using the algorithm named by `signatureOid` (and
 * `digestOid` when the signature OID does not fix the hash). Never throws on hostile input.
 */
export function verifySignature(
  signatureOid: string,
  digestOid: string,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): SignatureCheck {
  const alg = SIGNATURES.get(signatureOid);
  if (!alg) return 'unsupported';
  const hash = alg.hash ?? DIGESTS.get(digestOid)?.hash;
  if (!hash) return 'unsupported';
  try {
    if (alg.family === 'rsa-pkcs1') {
      if (key.asymmetricKeyType !== 'rsa') return 'invalid';
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return 'unsupported';
      return nodeVerify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature) ? 'valid' : 'invalid';
    }
    if (key.asymmetricKeyType !== 'ec') return 'invalid';
    return nodeVerify(hash, data, { key, dsaEncoding: 'der' }, signature) ? 'valid' : 'invalid';
  } catch {
    // node:crypto throws on a signature value it cannot even decode: that is a bad signature.
    return 'invalid';
  }
}
