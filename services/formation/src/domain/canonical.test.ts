import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, requestDigest } from './canonical.js';

/** Rebuilds every object of a JSON value with its keys in reverse order. */
function reorder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorder);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reorder(v)]),
    );
  }
  return value;
}

describe('canonicalJson / requestDigest', () => {
  it.each([
    [{ b: 1, a: [2, { d: 'x', c: null }] }, '{"a":[2,{"c":null,"d":"x"}],"b":1}'],
    ['строка', '"строка"'],
    [[], '[]'],
    [{}, '{}'],
  ])('%j → %s', (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it('ignores key order and layout, and parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(reorder(value))).toBe(canonicalJson(value));
        expect(requestDigest(JSON.parse(JSON.stringify(value, null, 2)))).toBe(requestDigest(value));
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 200 },
    );
  });

  it('tells different orders apart', () => {
    expect(requestDigest({ sum: '100' })).not.toBe(requestDigest({ sum: '1000' }));
    expect(requestDigest({ sum: '100' })).toMatch(/^[0-9a-f]{64}$/);
  });
});
