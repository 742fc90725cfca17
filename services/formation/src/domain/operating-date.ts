/**
 * The operating date of an ED: EDDate is the date in Moscow when formation accepted the order. Moscow
 * has been UTC+3 all year round since 26 October 2014 (no daylight saving), so the offset is fixed and
 * no time-zone database is needed.
 */
const MOSCOW_OFFSET_MS = 3 * 60 * 60 * 1000;

/** `YYYY-MM-DD` of `at` in Moscow time (UTC+3). */
export function moscowOperatingDate(at: Date): string {
  return new Date(at.getTime() + MOSCOW_OFFSET_MS).toISOString().slice(0, 10);
}
