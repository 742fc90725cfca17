/**
 * The contracts every part of packages/crypto shares. Nothing here assumes one algorithm:
 * GOST R 34.10-2012 or an HSM plug in as another Signer.
 */

/** An algorithm identifier as it goes into CMS: OID and DER-encoded parameters (absent, not NULL, for ECDSA). */
export interface AlgorithmId {
  oid: string;
  /** DER of the parameters, when the algorithm has any (RSA PKCS#1 v1.5 carries NULL: 05 00). */
  parameters?: Uint8Array;
}

/**
 * Something that can make a signature: a software key, a PKCS#11 token, a remote signing service.
 * `sign` receives the bytes to be signed (for CMS: the DER of the signed attributes) and returns the
 * signature value in the form CMS carries (DER ECDSA-Sig-Value for ECDSA, raw for RSA).
 */
export interface Signer {
  /** Human-readable name of the algorithm, e.g. "ECDSA-P256-SHA256" or "RSA-PKCS1-SHA256". */
  readonly algorithm: string;
  /** Digest algorithm for messageDigest and the signing hash. */
  readonly digestAlgorithm: AlgorithmId;
  /** Signature algorithm as written in SignerInfo.signatureAlgorithm. */
  readonly signatureAlgorithm: AlgorithmId;
  /** The signer's certificate, DER. */
  readonly certificate: Uint8Array;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** The two contours of 802-П прил. 1.1, plus the parties whose certificates the gateway also checks. */
export type Contour = 'formation' | 'control' | 'transport' | 'cbr' | 'authorised-person';

/** Stable failure codes of signature and certificate checks. Never renamed or reused. */
export type SigFailureCode =
  | 'SIG_MALFORMED'
  | 'SIG_NO_SIGNERS'
  | 'SIG_DIGEST_MISMATCH'
  | 'SIG_BAD_SIGNATURE'
  | 'SIG_UNSUPPORTED_ALGORITHM'
  | 'SIG_CERT_NOT_FOUND'
  | 'SIG_CERT_MALFORMED'
  | 'SIG_CERT_EXPIRED'
  | 'SIG_CERT_NOT_YET_VALID'
  | 'SIG_CERT_REVOKED'
  | 'SIG_CERT_UNTRUSTED'
  | 'SIG_CERT_KEY_USAGE'
  | 'SIG_CRL_UNAVAILABLE'
  | 'SIG_WRONG_CONTOUR'
  | 'SIG_SAME_CERTIFICATE'
  | 'SIG_MISSING_CONTOUR';

/** What is known about a certificate once it has been parsed and checked (cached by thumbprint). */
export interface CertificateInfo {
  /** SHA-256 of the DER, lowercase hex. */
  thumbprint: string;
  /** Serial number, lowercase hex without leading zeros. */
  serialNumber: string;
  /** Issuer distinguished name, RFC 4514 string. */
  issuer: string;
  /** Subject distinguished name, RFC 4514 string. */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** The contour the trust configuration binds this certificate to, if any. */
  contour?: Contour;
}

/** Result of checking one certificate for use at a given time. */
export type CertificateCheck =
  | { ok: true; info: CertificateInfo }
  | { ok: false; code: SigFailureCode; message: string; info?: CertificateInfo };

/**
 * Checks a signer's certificate: path to a trust anchor, validity at signing time and now,
 * key usage, revocation, and which contour it belongs to. Implemented by the trust store.
 */
export interface CertificateValidator {
  check(
    certificateDer: Uint8Array,
    options: {
      signingTime?: Date;
      /** Default the validator's clock; `null` skips "valid now" (archive re-verification, 802-П п. 11). */
      now?: Date | null;
      /** The contour the certificate must belong to (802-П прил. 1.1, п. 14.3). */
      expectedContour?: Contour;
      usage?: 'signing' | 'encryption';
    },
  ): CertificateCheck;
}
