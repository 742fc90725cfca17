import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogProblems } from './catalog-check.js';
import { PLATFORM_CODES } from './codes.js';

const root = join(import.meta.dirname, '..');

describe('PLATFORM_CODES', () => {
  it('is docs/errors.md (same codes and statuses) and every code the sources use, well-formed and frozen', () => {
    const problems = catalogProblems({
      catalog: PLATFORM_CODES,
      prefix: ['CFG_', 'PLT_', 'AUTH_', 'DB_', 'QUE_'],
      docFile: join(root, 'docs', 'errors.md'),
      sourceDir: join(root, 'src'),
      exclude: ['codes.ts', '*.test.ts'],
      // Only the package's own top-level modules: src/fixtures holds test programs, not the package.
      recursive: false,
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
