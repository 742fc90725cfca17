import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VALIDATION_CODES } from './codes.js';

const dir = new URL('./', import.meta.url);
const sources = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'codes.ts')
  .map((f) => readFileSync(new URL(f, dir), 'utf8'));

describe('VALIDATION_CODES', () => {
  const codes = Object.keys(VALIDATION_CODES);

  it('names every code UFEBS_<REASON>, outside the XML side’s UFEBS_XML_ / UFEBS_ED_ prefixes', () => {
    for (const code of codes) {
      expect(code).toMatch(/^UFEBS_[A-Z0-9]+(_[A-Z0-9]+)*$/);
      expect(code.startsWith('UFEBS_XML_')).toBe(false);
      expect(code.startsWith('UFEBS_ED_')).toBe(false);
    }
  });

  it('gives every code a meaning and an operator action', () => {
    for (const info of Object.values(VALIDATION_CODES)) {
      expect(info.meaning.length).toBeGreaterThan(10);
      expect(info.action.length).toBeGreaterThan(5);
    }
  });

  it('catalogs every code the validators emit, and every catalogued code is emitted somewhere', () => {
    const used = new Set(sources.flatMap((src) => src.match(/'UFEBS_[A-Z0-9_]+'/g) ?? []).map((q) => q.slice(1, -1)));
    expect([...used].sort()).toEqual([...codes].sort());
  });

  it('is frozen', () => {
    expect(Object.isFrozen(VALIDATION_CODES)).toBe(true);
  });
});
