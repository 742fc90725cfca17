import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { XML_CODES } from './codes.js';

const dir = new URL('./', import.meta.url);
const sources = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => readFileSync(new URL(f, dir), 'utf8'));

describe('XML_CODES', () => {
  it('catalogs every code the XML sources use, and nothing else', () => {
    const used = new Set(sources.flatMap((s) => [...s.matchAll(/'(UFEBS_(?:XML|ED)_[A-Z0-9_]+)'/g)].map((m) => m[1])));
    expect([...used].sort()).toEqual(Object.keys(XML_CODES).sort());
  });

  it.each(Object.entries(XML_CODES))('%s has a meaning and an operator action', (code, info) => {
    expect(code).toMatch(/^UFEBS_(XML|ED)_[A-Z0-9_]+$/);
    expect(info.meaning.length).toBeGreaterThan(10);
    expect(info.action.length).toBeGreaterThan(10);
  });
});
