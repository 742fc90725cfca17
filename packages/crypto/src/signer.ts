/**
 * The software signing provider: a private key held by node:crypto. ECDSA P-256 with SHA-256 or RSA
 * (≥ 2048 bits) PKCS#1 v1.5 with SHA-256, chosen from the key itself. Other providers (PKCS#11,
 * GOST) implement the same `Signer` interface; nothing outside a provider assumes an algorithm.
 */
import { constants, createPublicKey, type KeyObject, sign as nodeSign } from 'node:crypto';
import { MIN_RSA_BITS } from './cms/algorithms.js';
import { certificateFacts } from './cms/certificate.js';
import { bytesEqual } from './cms/der.js';
import { SignerError } from './cms/errors.js';
import { OID } from './cms/oids.js';
import type { Signer } from './types.js';

export { SignerError, type SignerErrorCode } from './cms/errors.js';

/** DER of ASN.1 NULL: RSA PKCS#1 v1.5 signature algorithms carry it as parameters (RFC 4055 §5). */
const DER_NULL = Uint8Array.of(0x05, 0x00);

/**
 * A `Signer` over a node:crypto private key and its certificate (DER).
 * - EC key on P-256 → "ECDSA-P256-SHA256", ecdsa-with-SHA256 (no parameters, RFC 5758), DER ECDSA-Sig-Value;
 * - RSA key of at least 2048 bits → "RSA-PKCS1-SHA256", sha256WithRSAEncryption (NULL parameters).
 *
 * Throws `SignerError` at construction (a configuration fault, found at start-up): `SIG_KEY_INVALID`
 * when the key is not private or does not belong to the certificate, `SIG_UNSUPPORTED_ALGORITHM` for
 * any other key type, curve or a smaller RSA modulus, `SIG_CERT_MALFORMED` for an unreadable certificate.
 */
export function createSoftwareSigner(key: KeyObject, certificateDer: Uint8Array): Signer {
  if (key.type !== 'private') throw new SignerError('SIG_KEY_INVALID', 'a private key is required');
  const facts = certificateFacts(certificateDer);
  if (!facts.ok) throw new SignerError('SIG_CERT_MALFORMED', facts.message);
  const cert = facts.value;
  if (!cert.publicKey)
    throw new SignerError('SIG_UNSUPPORTED_ALGORITHM', 'the certificate key algorithm is not supported');
  // A key that does not match its certificate would produce signatures nobody can verify: refuse it now.
  const ownSpki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const certSpki = cert.publicKey.export({ format: 'der', type: 'spki' });
  if (!bytesEqual(ownSpki, certSpki)) {
    throw new SignerError('SIG_KEY_INVALID', `the key does not belong to certificate ${cert.info.thumbprint}`);
  }

  const digestAlgorithm = { oid: OID.sha256 };
  const certificate = cert.der;
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1') {
      throw new SignerError('SIG_UNSUPPORTED_ALGORITHM', `EC curve ${curve ?? 'unknown'}: only P-256 is accepted`);
    }
    return {
      algorithm: 'ECDSA-P256-SHA256',
      digestAlgorithm,
      signatureAlgorithm: { oid: OID.ecdsaWithSHA256 },
      certificate,
      sign: (data) => signAsync(data, { key, dsaEncoding: 'der' }),
    };
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new SignerError('SIG_UNSUPPORTED_ALGORITHM', `RSA key of ${bits} bits: at least ${MIN_RSA_BITS} required`);
    }
    return {
      algorithm: 'RSA-PKCS1-SHA256',
      digestAlgorithm,
      signatureAlgorithm: { oid: OID.sha256WithRSAEncryption, parameters: DER_NULL },
      certificate,
      sign: (data) => signAsync(data, { key, padding: constants.RSA_PKCS1_PADDING }),
    };
  }
  throw new SignerError('SIG_UNSUPPORTED_ALGORITHM', `key type ${key.asymmetricKeyType ?? 'unknown'} is not accepted`);
}

/** Signs on the libuv thread pool, so an RSA signature (~1.3 ms) does not block the event loop. */
function signAsync(
  data: Uint8Array,
  key: { key: KeyObject; dsaEncoding?: 'der'; padding?: number },
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    nodeSign('sha256', data, key, (err, signature) => {
      if (err) reject(err);
      else resolve(new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength));
    });
  });
}
