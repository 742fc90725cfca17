/** Codes of faults a signing provider or its configuration can raise (they are thrown, not returned: a misconfigured key is not an expected outcome). */
export type SignerErrorCode =
  /** The key's algorithm, curve or size is not one the software signer accepts, or the Signer names a digest this package cannot compute. */
  | 'SIG_UNSUPPORTED_ALGORITHM'
  /** The key is not a private key, or does not belong to the certificate. */
  | 'SIG_KEY_INVALID'
  /** The signer's certificate is not a readable X.509 certificate. */
  | 'SIG_CERT_MALFORMED';

/**
 * A signing provider's configuration fault, with a stable code (errors that cross a process
 * boundary lose their class: STYLE.md). Never carries key material in its message.
 */
export class SignerError extends Error {
  /** Stable code; never renamed or reused. */
  readonly code: SignerErrorCode;

  constructor(code: SignerErrorCode, message: string) {
    super(message);
    this.name = 'SignerError';
    this.code = code;
  }
}
