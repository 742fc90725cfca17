import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { moscowOperatingDate } from './operating-date.js';

describe('moscowOperatingDate', () => {
  it.each([
    ['2025-04-15T20:59:59.999Z', '2025-04-15'],
    ['2025-04-15T21:00:00.000Z', '2025-04-16'],
    ['2025-12-31T21:00:00.000Z', '2026-01-01'],
    ['2024-02-28T22:30:00.000Z', '2024-02-29'],
    // Summer and winter alike: Moscow has no daylight saving since 2014.
    ['2025-07-01T00:00:00.000Z', '2025-07-01'],
    ['2025-01-01T00:00:00.000Z', '2025-01-01'],
  ])('%s is operating date %s', (at, date) => {
    expect(moscowOperatingDate(new Date(at))).toBe(date);
  });

  it('is the UTC date three hours later, for any time', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2015-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }), (at) => {
        const later = new Date(at.getTime() + 3 * 3600_000);
        const expected = `${later.getUTCFullYear()}-${String(later.getUTCMonth() + 1).padStart(2, '0')}-${String(later.getUTCDate()).padStart(2, '0')}`;
        expect(moscowOperatingDate(at)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });
});
