import type { FieldError } from '../result.js';
import { fieldError } from './field-error.js';

/**
 * A date as the schema writes it (`DateType`: YYYY-MM-DD). The pattern already limits month and day
 * ranges; whether the day exists in that month is checked by {@link checkDate}.
 */
export const DATE_PATTERN = '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$';
/** A time as the schema writes it (`TimeType`: hh:mm:ss), within one day. */
export const TIME_PATTERN = '^([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d$';

const DATE_RE = new RegExp(DATE_PATTERN);
const TIME_RE = new RegExp(TIME_PATTERN);

/** True when year/month/day name a day of the proleptic Gregorian calendar (year 1..9999; xs:date has no year 0). */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || year < 1 || year > 9999) return false;
  if (!Number.isInteger(month) || month < 1 || month > 12) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return Number.isInteger(day) && day >= 1 && day <= days;
}

/** True when `value` is an existing date written YYYY-MM-DD. */
export function isIsoDate(value: string): boolean {
  return (
    DATE_RE.test(value) &&
    isCalendarDate(Number(value.slice(0, 4)), Number(value.slice(5, 7)), Number(value.slice(8, 10)))
  );
}

/** True when `value` is an existing date written DD.MM.YYYY (the form of поля 107 and 109). */
export function isRuDate(value: string): boolean {
  return (
    /^\d{2}\.\d{2}\.\d{4}$/.test(value) &&
    isCalendarDate(Number(value.slice(6, 10)), Number(value.slice(3, 5)), Number(value.slice(0, 2)))
  );
}

/** Checks a YYYY-MM-DD date: its form (UFEBS_DATE_FORMAT), then that the day exists (UFEBS_DATE_INVALID). */
export function checkDate(value: string, path: string): FieldError[] {
  if (!DATE_RE.test(value)) return [fieldError('UFEBS_DATE_FORMAT', path, 'must be a date YYYY-MM-DD')];
  if (!isIsoDate(value)) return [fieldError('UFEBS_DATE_INVALID', path, 'this day does not exist')];
  return [];
}

/** Checks an hh:mm:ss time. */
export function checkTime(value: string, path: string): FieldError[] {
  return TIME_RE.test(value) ? [] : [fieldError('UFEBS_TIME_FORMAT', path, 'must be a time hh:mm:ss')];
}
