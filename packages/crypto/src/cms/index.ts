/** Public API of the CMS SignedData layer (re-exported by the package's index). */
export { SIGNATURE_CODES } from './codes.js';
export { SignerError, type SignerErrorCode } from './errors.js';
export type {
  ParsedAlgorithmId,
  ParsedSignedData,
  ParsedSignerInfo,
  RawAttribute,
  SignerIdentifier,
} from './parse.js';
export { parseSignedData } from './parse.js';
export type { SigResult } from './result.js';
export { addSigner, type SignOptions, signDetached } from './sign.js';
export {
  MAX_CERTIFICATES,
  MAX_SIGNERS,
  type SignerReport,
  type VerifyOptions,
  type VerifyReport,
  verifyDetached,
} from './verify.js';
