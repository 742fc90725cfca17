import { join } from 'node:path';
import { catalogProblems } from '@twincontour/platform';
import { describe, expect, it } from 'vitest';
import { AUDIT_CODES } from './errors.js';

const root = join(import.meta.dirname, '..');

describe('AUDIT_CODES', () => {
  it('is docs/errors.md (same codes and statuses) and every AUDIT_ code the sources use, well-formed and frozen', () => {
    const problems = catalogProblems({
      catalog: AUDIT_CODES,
      prefix: 'AUDIT_',
      docFile: join(root, 'docs', 'errors.md'),
      sourceDir: join(root, 'src'),
      exclude: ['errors.ts', '*.test.ts'],
      // src/archive keeps its own catalog (ARC_*) and its own test.
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
