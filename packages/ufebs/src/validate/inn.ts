import type { FieldError } from '../result.js';
import { fieldError } from './field-error.js';

/** INN: 10 digits (organisation), 12 digits (person), or "0" where the rules allow it; not all zeros. */
export const INN_PATTERN = '^(?!0{2,}$)(0|\\d{10}|\\d{12})$';
/** KPP: 4 digits, 2 digits or capital Latin letters, 3 digits; or "0". */
export const KPP_PATTERN = '^(0|\\d{4}[0-9A-Z]{2}\\d{3})$';

const INN_RE = new RegExp(INN_PATTERN);
const KPP_RE = new RegExp(KPP_PATTERN);

// NOTES.md "INN checksum": the weights of each check digit.
const W10 = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const W11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const W12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

function checkDigit(digits: string, weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i += 1) sum += Number(digits.charAt(i)) * (weights[i] ?? 0);
  return (sum % 11) % 10;
}

/** True when a 10- or 12-digit INN has correct check digits (NOTES.md). Other input gives false. */
export function innChecksumValid(inn: string): boolean {
  if (/^\d{10}$/.test(inn)) return checkDigit(inn, W10) === Number(inn.charAt(9));
  if (/^\d{12}$/.test(inn)) {
    return checkDigit(inn, W11) === Number(inn.charAt(10)) && checkDigit(inn, W12) === Number(inn.charAt(11));
  }
  return false;
}

/** Appends the check digit(s) to the body of an INN: 9 digits → 10-digit INN, 10 digits → 12-digit INN. */
export function completeInn(body: string): string {
  if (/^\d{9}$/.test(body)) return `${body}${checkDigit(body, W10)}`;
  if (/^\d{10}$/.test(body)) {
    const c11 = checkDigit(body, W11);
    return `${body}${c11}${checkDigit(`${body}${c11}`, W12)}`;
  }
  throw new RangeError('an INN body is 9 or 10 digits');
}

/** Checks an INN (поля 60, 61): format, then the check digits. "0" passes here; budget rules decide where it may stand. */
export function checkInn(inn: string, path: string): FieldError[] {
  if (!INN_RE.test(inn)) return [fieldError('UFEBS_INN_FORMAT', path, 'must be 10 or 12 digits, or "0"')];
  if (inn !== '0' && !innChecksumValid(inn)) {
    return [fieldError('UFEBS_INN_CHECKSUM', path, 'check digits do not match')];
  }
  return [];
}

/** Checks a KPP (поля 102, 103). */
export function checkKpp(kpp: string, path: string): FieldError[] {
  return KPP_RE.test(kpp)
    ? []
    : [fieldError('UFEBS_KPP_FORMAT', path, 'must be 9 characters (4 digits, 2 digits or A–Z, 3 digits) or "0"')];
}
