import type { CodeInfo } from '@twincontour/ufebs';
import { CERTIFICATE_CHECK_CODES, TRUST_CODES } from './certs/codes.js';
import { SIGNATURE_CODES } from './cms/codes.js';
import { ENC_CODES } from './envelope-encrypt/codes.js';
import { KEY_CODES } from './keys/codes.js';
import { PKI_CODES } from './pki/codes.js';

/**
 * The package's one catalog of codes (docs/errors.md is generated from it and kept in step by a test).
 * A certificate code is described once, by the trust store that returns it.
 */
export const CRYPTO_CODES: Readonly<Record<string, CodeInfo>> = Object.freeze({
  ...SIGNATURE_CODES,
  ...CERTIFICATE_CHECK_CODES,
  ...TRUST_CODES,
  ...KEY_CODES,
  ...PKI_CODES,
  ...ENC_CODES,
});
