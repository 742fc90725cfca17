import type { FieldError } from '../result.js';
import { fieldError } from './field-error.js';

/**
 * BIC of a Russian participant: 9 digits (schema `BICRUIDType`), and the first two digits are the
 * participant prefix — "04" for credit institutions and Bank of Russia units (the classic rule), or
 * "00", "01", "02" for units of the Federal Treasury (ТОФК), which have had BICs of their own since
 * the single treasury account regime of 2021 (e.g. 017003983 УФК по Тульской области, 004525988 УФК
 * по г. Москве, 015004950 УФК по Новосибирской области — all in public payment requisites).
 */
export const BIC_PATTERN = '^0[0124]\\d{7}$';

const BIC_RE = new RegExp(BIC_PATTERN);

/** Checks a BIC (поля 11, 14). */
export function checkBic(bic: string, path: string): FieldError[] {
  if (!/^\d{9}$/.test(bic)) return [fieldError('UFEBS_BIC_FORMAT', path, 'must be 9 digits')];
  if (!BIC_RE.test(bic)) {
    return [fieldError('UFEBS_BIC_FORMAT', path, 'must start with 04 (bank) or 00–02 (treasury unit)')];
  }
  return [];
}

/** True when `bic` is well formed (see {@link BIC_PATTERN}). */
export function isValidBic(bic: string): boolean {
  return BIC_RE.test(bic);
}

/**
 * True when the BIC is that of a Bank of Russia unit: digits 7–9 are 000, 001 or 002
 * (NOTES.md "Account control key", rule 1).
 */
export function isBankOfRussiaUnitBic(bic: string): boolean {
  const tail = bic.slice(6, 9);
  return tail === '000' || tail === '001' || tail === '002';
}
