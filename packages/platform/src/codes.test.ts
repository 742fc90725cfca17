import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLATFORM_CODES } from './codes.js';

const root = join(import.meta.dirname, '..');
const CODE_LITERAL = /['"`]((?:CFG|PLT|AUTH|DB|QUE)_[A-Z0-9_]+)/g;

function documented(): Map<string, number> {
  const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, number>();
  for (const match of doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\d{3}) \|/gm)) {
    if (match[1] && match[2]) rows.set(match[1], Number(match[2]));
  }
  return rows;
}

function usedInSources(): Set<string> {
  const used = new Set<string>();
  const dir = join(root, 'src');
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts') || file === 'codes.ts') continue;
    for (const match of readFileSync(join(dir, file), 'utf8').matchAll(CODE_LITERAL)) used.add(match[1] ?? '');
  }
  return used;
}

describe('PLATFORM_CODES', () => {
  it('is the same set, with the same statuses, as docs/errors.md', () => {
    const doc = documented();
    expect([...doc.keys()].sort()).toEqual(Object.keys(PLATFORM_CODES).sort());
    for (const [code, info] of Object.entries(PLATFORM_CODES)) expect(doc.get(code), code).toBe(info.status);
  });

  it('lists every code the sources use, and every listed code is used', () => {
    const used = usedInSources();
    expect([...used].filter((c) => !(c in PLATFORM_CODES))).toEqual([]);
    expect(Object.keys(PLATFORM_CODES).filter((c) => !used.has(c))).toEqual([]);
  });

  it('has well-formed entries', () => {
    for (const [code, info] of Object.entries(PLATFORM_CODES)) {
      expect(code).toMatch(/^(CFG|PLT|AUTH|DB|QUE)_[A-Z0-9_]+$/);
      expect(info.status >= 400 && info.status < 600, code).toBe(true);
      expect(info.meaning.length > 10 && info.action.length > 5, code).toBe(true);
    }
    expect(Object.isFrozen(PLATFORM_CODES)).toBe(true);
  });
});
