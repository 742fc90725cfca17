import { join } from 'node:path';
import { catalogProblems } from '@twincontour/platform';
import { describe, expect, it } from 'vitest';
import { ARCHIVE_CODES } from './codes.js';

const root = join(import.meta.dirname, '..', '..');

describe('ARCHIVE_CODES', () => {
  it('is docs/archive.md (same codes and statuses) and every ARC_ code the sources use, well-formed and frozen', () => {
    const problems = catalogProblems({
      catalog: ARCHIVE_CODES,
      prefix: 'ARC_',
      docFile: join(root, 'docs', 'archive.md'),
      sourceDir: import.meta.dirname,
      exclude: ['codes.ts', '*.test.ts'],
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
