import { join } from 'node:path';
import { catalogProblems } from '@twincontour/platform';
import { describe, expect, it } from 'vitest';
import { CONTROL_CODES } from './errors.js';

const root = join(import.meta.dirname, '..');

describe('CONTROL_CODES', () => {
  it('is docs/errors.md (same codes and statuses) and every CTL_ code the sources use, well-formed and frozen', () => {
    const problems = catalogProblems({
      catalog: CONTROL_CODES,
      prefix: 'CTL_',
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
