import type { FieldError } from '../result.js';
import { fieldError } from './field-error.js';

/** Amount in kopecks (schema `KopeckAmountType`): a positive integer of at most 18 digits, no leading zero. */
export const AMOUNT_PATTERN = '^[1-9]\\d{0,17}$';
/** Amount in kopecks that may be zero (schema `NotNegativeKopeckAmountType`). */
export const NON_NEGATIVE_AMOUNT_PATTERN = '^(0|[1-9]\\d{0,17})$';

const AMOUNT_RE = new RegExp(AMOUNT_PATTERN);
const NON_NEGATIVE_RE = new RegExp(NON_NEGATIVE_AMOUNT_PATTERN);

/** Checks an amount (поле 7): digits only, no leading zero, > 0, ≤ 18 digits. */
export function checkAmount(sum: string, path: string): FieldError[] {
  return AMOUNT_RE.test(sum)
    ? []
    : [fieldError('UFEBS_AMOUNT_FORMAT', path, 'must be kopecks: 1–18 digits, no leading zero, greater than 0')];
}

/** Checks an amount that may be zero (cover sums). */
export function checkNonNegativeAmount(sum: string, path: string): FieldError[] {
  return NON_NEGATIVE_RE.test(sum)
    ? []
    : [fieldError('UFEBS_AMOUNT_FORMAT', path, 'must be kopecks: 0 or 1–18 digits without a leading zero')];
}
