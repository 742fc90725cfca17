import { CHECK_CODES } from './check.js';
import type { CodeInfo } from './result.js';
import { VALIDATION_CODES } from './validate/codes.js';
import { XML_CODES } from './xml/codes.js';

/** The package's one catalog of error codes (docs/errors.md is kept in step by a test). */
export const UFEBS_CODES: Readonly<Record<string, CodeInfo>> = Object.freeze({
  ...VALIDATION_CODES,
  ...XML_CODES,
  ...CHECK_CODES,
});
