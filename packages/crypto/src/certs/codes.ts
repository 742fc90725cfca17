import type { CodeInfo } from '@twincontour/ufebs';

/** Codes of the trust configuration and of CRL loading (reported by `refresh()`). Never renamed or reused. */
export const TRUST_CODES: Readonly<Record<string, CodeInfo>> = Object.freeze({
  TRUST_CONFIG_INVALID: {
    meaning: 'A trust anchor or intermediate cannot be read, is not a CA, or the pins contradict each other.',
    action: 'Fix the trust configuration; the error lists every problem.',
  },
  CRL_FETCH_FAILED: {
    meaning: 'A CRL source could not be read (file missing, HTTP error, timeout, too large).',
    action: 'Check the CRL path or URL and the network; the previous CRL stays in use until its nextUpdate.',
  },
  CRL_MALFORMED: {
    meaning:
      'The CRL cannot be read, has no nextUpdate, or carries an unsupported critical extension (delta or partial CRL).',
    action: 'Point the source at the full CRL of the CA.',
  },
  CRL_UNKNOWN_ISSUER: {
    meaning: 'No configured CA issued this CRL.',
    action: 'Add the CA to the trust configuration, or remove the CRL source.',
  },
  CRL_BAD_SIGNATURE: {
    meaning: "The CRL's signature does not verify with its issuing CA (or the CA may not sign CRLs).",
    action: 'Treat as tampering: obtain the CRL from the CA again and raise a security incident if it repeats.',
  },
  CRL_OUTDATED: {
    meaning: 'The loaded CRL is older than the one already in use (a replay); it was ignored.',
    action: 'Check the CRL distribution point serves the current CRL.',
  },
});

/**
 * What the `SIG_*` codes returned by the trust store's `check` mean for certificates (the codes
 * themselves are defined in types.ts).
 */
export const CERTIFICATE_CHECK_CODES: Readonly<Record<string, CodeInfo>> = Object.freeze({
  SIG_CERT_MALFORMED: {
    meaning: 'The certificate is not a well-formed DER X.509 certificate.',
    action: 'Reject the message; the sender embedded a damaged certificate.',
  },
  SIG_CERT_UNTRUSTED: {
    meaning: 'No path with valid signatures leads from the certificate to a configured trust anchor.',
    action: 'Check that the issuing CA (and any intermediate) is configured; otherwise reject.',
  },
  SIG_UNSUPPORTED_ALGORITHM: {
    meaning: 'The certificate is signed with an algorithm no configured verifier supports.',
    action: 'Configure the provider for the algorithm (e.g. GOST R 34.10-2012) or reject.',
  },
  SIG_CERT_EXPIRED: {
    meaning: 'The certificate (or a CA certificate on its path) had expired at the signing time or now.',
    action: 'Renew the certificate; for archived messages re-verify with `now: null`.',
  },
  SIG_CERT_NOT_YET_VALID: {
    meaning: 'The certificate (or a CA certificate on its path) was not yet valid at the signing time or now.',
    action: 'Check the clocks of the signer and of this host.',
  },
  SIG_CERT_KEY_USAGE: {
    meaning: 'The key usage does not allow this use (signing: digitalSignature or nonRepudiation).',
    action: 'Use a certificate issued for signing (or for encryption, as the case may be).',
  },
  SIG_CERT_REVOKED: {
    meaning: "The certificate (or a CA certificate on its path) is on its issuer's CRL as of the signing time.",
    action: 'Reject the message and raise a security alert; a key compromise may be under way (802-П п. 19).',
  },
  SIG_CRL_UNAVAILABLE: {
    meaning: 'No current CRL of an issuing CA is loaded (missing, or past nextUpdate plus grace): checks fail closed.',
    action: 'Restore CRL distribution (see the trust store status); messages are retried once it is back.',
  },
  SIG_WRONG_CONTOUR: {
    meaning: 'The certificate belongs to another contour, or to none (802-П прил. 1.1: separate keys per contour).',
    action: 'Reject: a contour signed with a key that is not its own. Raise a security alert.',
  },
});
