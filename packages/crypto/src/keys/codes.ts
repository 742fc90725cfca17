import type { CodeInfo } from '@twincontour/ufebs';

/** Codes of key files, passphrases, CSRs and certificate import. Never renamed or reused. */
export const KEY_CODES: Readonly<Record<string, CodeInfo>> = Object.freeze({
  KEY_BAD_PASSPHRASE: {
    meaning: 'The key file is well-formed but the passphrase does not open it.',
    action: 'Check the passphrase file or environment variable configured for this key.',
  },
  KEY_UNREADABLE: {
    meaning: 'The file is not an encrypted PKCS#8 or PKCS#12 key this gateway can read.',
    action: 'Export the key as encrypted PKCS#8 (PBES2) or PKCS#12 and point the configuration at it.',
  },
  KEY_NOT_ENCRYPTED: {
    meaning: 'The key file holds an unencrypted private key; key files must be encrypted.',
    action: 'Re-export the key with a passphrase (twincontour key encrypt, or openssl pkcs8 -topk8 -v2 aes-256-cbc).',
  },
  KEY_PASSPHRASE_UNAVAILABLE: {
    meaning: 'The passphrase file or environment variable is missing, unreadable or empty.',
    action: 'Create the passphrase file (mode 0600) or set the environment variable named in the configuration.',
  },
  KEY_UNSUPPORTED_ALGORITHM: {
    meaning: 'The key is of a type this operation cannot use (only ECDSA P-256/P-384/P-521 and RSA).',
    action: 'Generate an ECDSA P-256 or RSA key.',
  },
  KEY_BAD_SUBJECT: {
    meaning: 'The subject distinguished name could not be read.',
    action: 'Write the subject as an RFC 4514 string, e.g. "CN=Formation,O=Bank,C=RU".',
  },
  KEY_CERT_MISMATCH: {
    meaning: "The certificate's public key is not the public half of the private key.",
    action: 'Import the certificate issued for this key (the one requested with its CSR).',
  },
  KEY_CERT_WRONG_CONTOUR: {
    meaning: "The certificate's TwinContour policy marks another contour than the one it is imported for.",
    action: 'Import the certificate into the contour it was issued for (802-П прил. 1.1: separate keys per contour).',
  },
});
