import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CatalogProblems, catalogProblems } from './catalog-check.js';
import { defineErrorCatalog } from './codes.js';

const MEANING = 'A meaning long enough to help.';
const ACTION = 'Do the thing.';

// A tiny package tree: docs/errors.md and src/, with one instance of each kind of problem.
const root = mkdtempSync(join(tmpdir(), 'catalog-check-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string): string {
  const full = join(root, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, text);
  return full;
}

const docFile = write(
  'docs/errors.md',
  [
    '| Code | Status | Meaning | Action |',
    '|---|---|---|---|',
    '| `XYZ_FINE` | 400 | ok | ok |',
    '| `XYZ_WRONG_STATUS` | 404 | ok | ok |',
    '| `XYZ_ONLY_IN_DOC` | 409 | ok | ok |',
    '| `XYZ_BAD_STATUS` | 200 | ok | ok |',
    '| `XYZ_UNUSED` | 400 | ok | ok |',
  ].join('\n'),
);
const sourceDir = join(root, 'src');
write('src/a.ts', 'export const a = [\'XYZ_FINE\', "XYZ_WRONG_STATUS", `XYZ_MISSING`];\n');
write('src/nested/b.ts', "export const b = 'XYZ_UNDOCUMENTED' + 'XYZ_BAD_STATUS' + 'OTHER_IGNORED';\n");
write('src/errors.ts', "export const c = 'XYZ_ONLY_IN_ERRORS_TS';\n");
write('src/a.test.ts', "export const d = 'XYZ_ONLY_IN_TEST';\n");
write('src/notes.md', "'XYZ_ONLY_IN_MARKDOWN'\n");

const catalog = defineErrorCatalog({
  XYZ_FINE: { status: 400, meaning: MEANING, action: ACTION },
  XYZ_WRONG_STATUS: { status: 400, meaning: MEANING, action: ACTION },
  XYZ_UNDOCUMENTED: { status: 500, meaning: MEANING, action: ACTION },
  XYZ_BAD_STATUS: { status: 200, meaning: MEANING, action: ACTION },
  XYZ_UNUSED: { status: 400, meaning: MEANING, action: ACTION },
});

const NONE: CatalogProblems = {
  undocumented: [],
  notInCatalog: [],
  statusMismatch: [],
  unused: [],
  usedButMissing: [],
  malformed: [],
};

describe('catalogProblems', () => {
  it('finds each kind of problem, and nothing else', () => {
    const problems = catalogProblems({
      catalog,
      prefix: 'XYZ_',
      docFile,
      sourceDir,
      exclude: ['errors.ts', '*.test.ts'],
    });
    expect(problems).toEqual({
      undocumented: ['XYZ_UNDOCUMENTED'],
      notInCatalog: ['XYZ_ONLY_IN_DOC'],
      statusMismatch: ['XYZ_WRONG_STATUS: catalog 400, doc 404'],
      unused: ['XYZ_UNUSED'],
      usedButMissing: ['XYZ_MISSING'],
      malformed: ['XYZ_BAD_STATUS'],
    });
  });

  it('walks excluded files when not told to leave them out, and skips sub-folders when not recursive', () => {
    const all = catalogProblems({ catalog, prefix: 'XYZ_', docFile, sourceDir });
    expect(all.usedButMissing).toEqual(['XYZ_MISSING', 'XYZ_ONLY_IN_ERRORS_TS', 'XYZ_ONLY_IN_TEST']);
    const flat = catalogProblems({ catalog, prefix: 'XYZ_', docFile, sourceDir, recursive: false, exclude: ['*.ts'] });
    expect(flat.usedButMissing).toEqual([]);
    expect(flat.unused).toEqual(Object.keys(catalog).sort());
    const top = catalogProblems({ catalog, prefix: 'XYZ_', docFile, sourceDir, recursive: false });
    expect(top.unused).toEqual(['XYZ_BAD_STATUS', 'XYZ_UNDOCUMENTED', 'XYZ_UNUSED']);
  });

  it.each([
    ['a code without the prefix', { ABC_OTHER: { status: 400, meaning: MEANING, action: ACTION } }, 'ABC_OTHER'],
    ['a status below 400', { XYZ_LOW: { status: 399, meaning: MEANING, action: ACTION } }, 'XYZ_LOW'],
    ['a status of 600', { XYZ_HIGH: { status: 600, meaning: MEANING, action: ACTION } }, 'XYZ_HIGH'],
    ['a short meaning', { XYZ_TERSE: { status: 400, meaning: 'Too short', action: ACTION } }, 'XYZ_TERSE'],
    ['a short action', { XYZ_VAGUE: { status: 400, meaning: MEANING, action: 'Fix' } }, 'XYZ_VAGUE'],
  ])('reports %s as malformed', (_, entries, code) => {
    expect(
      catalogProblems({ catalog: defineErrorCatalog(entries), prefix: 'XYZ_', docFile, sourceDir }).malformed,
    ).toEqual([code]);
  });

  it('reports a catalog that is not frozen', () => {
    const open = { XYZ_FINE: { status: 400, meaning: MEANING, action: ACTION } };
    expect(catalogProblems({ catalog: open, prefix: 'XYZ_', docFile, sourceDir }).malformed).toEqual([
      '(catalog not frozen)',
    ]);
  });

  it('accepts several prefixes, and a consistent tree has no problems', () => {
    const dir = join(root, 'clean');
    const doc = write('clean/errors.md', '| `AAA_ONE` | 400 | x | y |\n| `BBB_TWO` | 503 | x | y |\n');
    write('clean/src/x.ts', "throw new Error('AAA_ONE'); const t = 'BBB_TWO';\n");
    const clean = defineErrorCatalog({
      AAA_ONE: { status: 400, meaning: MEANING, action: ACTION },
      BBB_TWO: { status: 503, meaning: MEANING, action: ACTION },
    });
    expect(
      catalogProblems({ catalog: clean, prefix: ['AAA_', 'BBB_'], docFile: doc, sourceDir: join(dir, 'src') }),
    ).toEqual(NONE);
    // With one prefix only, the other's entries are malformed and its literals are not looked for.
    const one = catalogProblems({ catalog: clean, prefix: 'AAA_', docFile: doc, sourceDir: join(dir, 'src') });
    expect(one.malformed).toEqual(['BBB_TWO']);
    expect(one.unused).toEqual(['BBB_TWO']);
  });
});
