import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGS, renderErrorsDoc } from './errors-doc.js';

const doc = join(import.meta.dirname, '../../../docs/errors.md');

describe('docs/errors.md', () => {
  it('is exactly what the catalogs generate (run `pnpm docs:errors` after changing a code)', () => {
    expect(readFileSync(doc, 'utf8')).toBe(renderErrorsDoc());
  });

  it('gives every code a meaning and an action, and no code belongs to two catalogs', () => {
    const seen = new Set<string>();
    for (const catalog of CATALOGS) {
      for (const [code, info] of Object.entries(catalog.codes)) {
        expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/);
        expect(info.meaning.length, code).toBeGreaterThan(10);
        expect(info.action.length, code).toBeGreaterThan(5);
        expect(seen.has(code), code).toBe(false);
        seen.add(code);
      }
    }
  });

  it('lists every CLI_* code the tool can print', () => {
    // A plain walk: every source file of the tool, whatever folder it is in.
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(dir, e.name)).map((f) => join(e.name, f)) : [e.name],
      );
    const sources = walk(import.meta.dirname).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'codes.ts',
    );
    const used = new Set(
      sources.flatMap((f) =>
        [...readFileSync(join(import.meta.dirname, f), 'utf8').matchAll(/['(](CLI_[A-Z0-9_]+)['),]/g)].map(
          (m) => m[1]!,
        ),
      ),
    );
    const cli = CATALOGS.find((c) => c.title.includes('CLI_'))!;
    expect([...used].sort()).toEqual(Object.keys(cli.codes).sort());
  });
});
