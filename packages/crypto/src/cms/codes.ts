import type { CodeInfo } from '@twincontour/ufebs';

/**
 * What the `SIG_*` codes returned by signature verification (CMS, ЗК, КА) and thrown by signing
 * providers mean, and what an operator does. Certificate codes passed through from the validator
 * are described by the trust store's catalog. Never renamed or reused.
 */
export const SIGNATURE_CODES: Readonly<Record<string, CodeInfo>> = Object.freeze({
  SIG_MALFORMED: {
    meaning:
      'The signature container cannot be read: not a CMS SignedData, a required signed attribute missing or repeated, a ЗК that is not base64, an envelope not shaped as cbr_dsig_env_v1.1.0.xsd, or too many signers/certificates.',
    action: 'Reject the message; ask the sender for a correctly formed signature.',
  },
  SIG_NO_SIGNERS: {
    meaning: 'The SignedData has no SignerInfo, or the ED has no ЗК.',
    action: 'Reject the message: it is not signed.',
  },
  SIG_DIGEST_MISMATCH: {
    meaning: 'The content does not match the digest the signer signed (the content was changed after signing).',
    action: 'Reject the message and raise a security alert: the content was altered or the wrong content was supplied.',
  },
  SIG_BAD_SIGNATURE: {
    meaning: "The signature value does not verify with the signer certificate's public key.",
    action: 'Reject the message and raise a security alert: the signature was altered or forged.',
  },
  SIG_UNSUPPORTED_ALGORITHM: {
    meaning:
      'A digest or signature algorithm OID has no verifier here (e.g. GOST without its provider, SHA-1, RSA under 2048 bits), or a signing key of a kind the software signer refuses.',
    action: 'Configure the provider for the algorithm, or ask the sender to use ECDSA P-256 / RSA ≥ 2048 with SHA-256.',
  },
  SIG_CERT_NOT_FOUND: {
    meaning:
      "No certificate matches the signer's issuer and serial number (or key identifier), or the one found is not the certificate named in its signingCertificate(V2) attribute.",
    action:
      'Supply the signer certificate (it may be sent separately), and treat a signingCertificate mismatch as tampering.',
  },
  SIG_WRONG_CONTOUR: {
    meaning:
      'A signature comes from a certificate bound to another contour than the one expected at that place (802-П п. 14.3).',
    action: 'Reject the message; check the pinned contour certificates and who signed it.',
  },
  SIG_MISSING_CONTOUR: {
    meaning: 'An expected contour has no signature (802-П п. 14.3 requires formation and control).',
    action: 'Reject the message; it must pass the missing contour first.',
  },
  SIG_SAME_CERTIFICATE: {
    meaning: 'Two signatures were made with the same certificate: the two-contour rule needs two different keys.',
    action: 'Reject the message and raise a security alert: one key is being used for both contours.',
  },
  SIG_KEY_INVALID: {
    meaning:
      'A signing key is not a private key, or does not belong to the configured certificate (thrown at start-up).',
    action: 'Fix the key and certificate configuration of the contour.',
  },
});
