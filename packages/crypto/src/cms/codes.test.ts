import { describe, expect, it } from 'vitest';
import type { SigFailureCode } from '../types.js';
import { SIGNATURE_CODES } from './codes.js';
import type { SignerErrorCode } from './errors.js';

/** Every code the signing and verifying code of this area returns or throws itself (validator codes pass through). */
const OWN_CODES: ReadonlyArray<SigFailureCode | SignerErrorCode> = [
  'SIG_MALFORMED',
  'SIG_NO_SIGNERS',
  'SIG_DIGEST_MISMATCH',
  'SIG_BAD_SIGNATURE',
  'SIG_UNSUPPORTED_ALGORITHM',
  'SIG_CERT_NOT_FOUND',
  'SIG_WRONG_CONTOUR',
  'SIG_MISSING_CONTOUR',
  'SIG_SAME_CERTIFICATE',
  'SIG_KEY_INVALID',
];

describe('SIGNATURE_CODES', () => {
  it('documents every code this area produces, and nothing else', () => {
    expect(Object.keys(SIGNATURE_CODES).sort()).toEqual([...OWN_CODES].sort());
  });

  it.each(Object.entries(SIGNATURE_CODES))('%s has a meaning and an operator action', (code, info) => {
    expect(code).toMatch(/^SIG_[A-Z_]+$/);
    expect(info.meaning.length).toBeGreaterThan(10);
    expect(info.action.length).toBeGreaterThan(10);
  });
});
