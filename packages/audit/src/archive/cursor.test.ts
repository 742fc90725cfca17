import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeArchiveCursor, encodeArchiveCursor } from './cursor.js';

const micros = fc.bigInt({ min: -(10n ** 17n), max: 10n ** 18n - 1n }).map(String);
const ids = fc.bigInt({ min: 1n, max: 9_223_372_036_854_775_807n }).map(String);

describe('archive cursor', () => {
  it('round-trips every position', () => {
    fc.assert(
      fc.property(micros, ids, (atMicros, id) => {
        const cursor = encodeArchiveCursor({ atMicros, id });
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeArchiveCursor(cursor)).toEqual({ atMicros, id });
      }),
    );
  });

  it('never throws on arbitrary input, and what it accepts re-encodes to itself', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.base64String(), fc.anything()), (input) => {
        const position = decodeArchiveCursor(input);
        if (position) expect(encodeArchiveCursor(position)).toBe(input);
      }),
    );
  });

  it('refuses any changed character of a cursor it issued', () => {
    fc.assert(
      fc.property(micros, ids, fc.nat(), fc.constantFrom(...'AZaz09-_=+/.'), (atMicros, id, at, char) => {
        const cursor = encodeArchiveCursor({ atMicros, id });
        const i = at % cursor.length;
        if (cursor[i] === char) return;
        const changed = `${cursor.slice(0, i)}${char}${cursor.slice(i + 1)}`;
        const decoded = decodeArchiveCursor(changed);
        // A change may land on another valid position, never on this one by another spelling.
        if (decoded) expect(encodeArchiveCursor(decoded)).toBe(changed);
      }),
    );
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a1.1.1'],
    ['another version', Buffer.from('a2.1.1').toString('base64url')],
    ['leading zeros', Buffer.from('a1.01.1').toString('base64url')],
    ['an id beyond bigint', Buffer.from('a1.1.9223372036854775808').toString('base64url')],
    ['padding', `${Buffer.from('a1.1.1').toString('base64url')}=`],
    ['a number', 42],
  ])('refuses %s', (_name, input) => {
    expect(decodeArchiveCursor(input)).toBeUndefined();
  });

  it('refuses to encode what is not a position', () => {
    expect(() => encodeArchiveCursor({ atMicros: '1.5', id: '1' })).toThrow(RangeError);
    expect(() => encodeArchiveCursor({ atMicros: '1', id: '-1' })).toThrow(RangeError);
  });
});
