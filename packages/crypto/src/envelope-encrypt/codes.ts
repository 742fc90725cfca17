import type { CodeInfo } from '@twincontour/ufebs';

/** Codes of application-level encryption (802-П п. 14.3). Never renamed or reused. */
export const ENC_CODES: Readonly<Record<string, CodeInfo>> = Object.freeze({
  ENC_MALFORMED: {
    meaning: 'The input is not a CMS EnvelopedData (or is empty or too large).',
    action: 'Check what the sender delivered; it was not produced by an encryptor we can read.',
  },
  ENC_NOT_FOR_RECIPIENT: {
    meaning: 'No recipient entry of the envelope names our certificate.',
    action: 'The sender encrypted to another certificate: give it our current transport certificate.',
  },
  ENC_UNSUPPORTED_ALGORITHM: {
    meaning:
      'The envelope uses an algorithm we do not open (only RSA-OAEP-SHA256 or ECDH-SHA256-KDF with AES-CBC content).',
    action: 'Have the sender use RSA-OAEP with SHA-256 or ECDH P-256 with the SHA-256 KDF, and AES-256-CBC.',
  },
  ENC_KEY_MISMATCH: {
    meaning: 'The private key given for decryption is not the key of the given certificate.',
    action: 'Configure the key and certificate of the same transport identity.',
  },
  ENC_DECRYPT_FAILED: {
    meaning: 'The envelope names us but does not open with our key: damaged in transit or forged.',
    action: 'Ask the sender to resend; if it repeats, raise a security incident (802-П п. 19).',
  },
  ENC_RECIPIENT_UNSUPPORTED: {
    meaning: 'The recipient certificate cannot be read or its key is neither RSA nor EC P-256.',
    action: 'Configure the recipient certificate the Bank of Russia (or the simulator) issued for encryption.',
  },
});
