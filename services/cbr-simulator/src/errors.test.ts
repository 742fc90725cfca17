import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIMULATOR_CODES } from './errors.js';

const root = join(import.meta.dirname, '..');
const CODE_LITERAL = /['"`](SIM_[A-Z0-9_]+)/g;

function documented(): Map<string, number> {
  const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, number>();
  for (const match of doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\d{3}) \|/gm)) {
    if (match[1] && match[2]) rows.set(match[1], Number(match[2]));
  }
  return rows;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && entry.name !== 'errors.ts' ? [path] : [];
  });
}

describe('SIMULATOR_CODES', () => {
  it('is the same set, with the same statuses, as docs/errors.md', () => {
    const doc = documented();
    expect([...doc.keys()].sort()).toEqual(Object.keys(SIMULATOR_CODES).sort());
    for (const [code, info] of Object.entries(SIMULATOR_CODES)) expect(doc.get(code), code).toBe(info.status);
  });

  it('lists every SIM_ code the sources use, and every listed code is used', () => {
    const used = new Set<string>();
    for (const file of sources(join(root, 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(CODE_LITERAL)) used.add(match[1] ?? '');
    }
    expect([...used].filter((c) => !(c in SIMULATOR_CODES))).toEqual([]);
    expect(Object.keys(SIMULATOR_CODES).filter((c) => !used.has(c))).toEqual([]);
  });

  it('has well-formed entries', () => {
    for (const [code, info] of Object.entries(SIMULATOR_CODES)) {
      expect(code).toMatch(/^SIM_[A-Z0-9_]+$/);
      expect(info.status >= 400 && info.status < 600, code).toBe(true);
      expect(info.meaning.length > 10 && info.action.length > 5, code).toBe(true);
    }
    expect(Object.isFrozen(SIMULATOR_CODES)).toBe(true);
  });
});
