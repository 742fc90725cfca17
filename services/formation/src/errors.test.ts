import { join } from 'node:path';
import { catalogProblems } from '@twincontour/platform';
import { describe, expect, it } from 'vitest';
import { FORMATION_CODES } from './errors.js';

const root = join(import.meta.dirname, '..');

describe('FORMATION_CODES', () => {
  it('is docs/errors.md (same codes and statuses) and every FRM_ code the sources use, well-formed and frozen', () => {
    const problems = catalogProblems({
      catalog: FORMATION_CODES,
      // EXCHANGE_SUSPENDED is the one code shared with transport (802-П п. 19): the back office sees the same.
      prefix: ['FRM_', 'EXCHANGE_'],
      docFile: join(root, 'docs', 'errors.md'),
      sourceDir: join(root, 'src'),
      exclude: ['errors.ts', '*.test.ts'],
    });
    expect(problems).toEqual({
      undocumented: [],
      notInCatalog: [],
      statusMismatch: [],
      unused: [],
      usedButMissing: [],
      malformed: [],
    });
  });
});
