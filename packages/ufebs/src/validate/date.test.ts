import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDate, checkTime, isCalendarDate, isRuDate } from './date.js';

const codes = (v: string) => checkDate(v, 'accDocDate').map((e) => e.code);

describe('checkDate (YYYY-MM-DD)', () => {
  it.each(['2025-04-15', '2024-02-29', '2000-02-29', '2025-12-31', '0001-01-01'])('%s passes', (d) => {
    expect(codes(d)).toEqual([]);
  });
  it.each([
    ['2025-02-30', 'UFEBS_DATE_INVALID'],
    ['2025-02-29', 'UFEBS_DATE_INVALID'],
    ['1900-02-29', 'UFEBS_DATE_INVALID'],
    ['2025-04-31', 'UFEBS_DATE_INVALID'],
    ['0000-01-01', 'UFEBS_DATE_INVALID'],
    ['2025-13-01', 'UFEBS_DATE_FORMAT'],
    ['2025-00-10', 'UFEBS_DATE_FORMAT'],
    ['2025-01-32', 'UFEBS_DATE_FORMAT'],
    ['15.04.2025', 'UFEBS_DATE_FORMAT'],
    ['2025-4-15', 'UFEBS_DATE_FORMAT'],
    ['2025-04-15T00:00:00', 'UFEBS_DATE_FORMAT'],
    ['', 'UFEBS_DATE_FORMAT'],
  ])('%s fails with %s', (d, code) => {
    expect(codes(d)).toEqual([code]);
  });

  it('agrees with the JavaScript calendar for every day 1970–2100', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1970, max: 2100 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        (y, m, d) => {
          const js = new Date(Date.UTC(y, m - 1, d));
          const exists = js.getUTCMonth() === m - 1 && js.getUTCDate() === d;
          expect(isCalendarDate(y, m, d)).toBe(exists);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('isRuDate (DD.MM.YYYY)', () => {
  it.each([
    ['15.04.2025', true],
    ['29.02.2024', true],
    ['30.02.2025', false],
    ['2025-04-15', false],
    ['1.04.2025', false],
  ])('%s → %s', (v, expected) => {
    expect(isRuDate(v)).toBe(expected);
  });
});

describe('checkTime (hh:mm:ss)', () => {
  it.each(['00:00:00', '09:30:00', '23:59:59'])('%s passes', (t) => {
    expect(checkTime(t, 't')).toEqual([]);
  });
  it.each(['24:00:00', '9:30:00', '09:60:00', '09:30', '09:30:00Z', ''])('%s fails', (t) => {
    expect(checkTime(t, 't').map((e) => e.code)).toEqual(['UFEBS_TIME_FORMAT']);
  });
});
