import { join } from 'node:path';
import { catalogProblems } from '@twincontour/platform';
import { describe, expect, it } from 'vitest';
import { TRANSPORT_CODES } from './errors.js';

const root = join(import.meta.dirname, '..');

describe('TRANSPORT_CODES', () => {
  it('is docs/errors.md (same codes and statuses) and every TRN_ code the sources use, well-formed and frozen', () => {
    const problems = catalogProblems({
      catalog: TRANSPORT_CODES,
      // INC_*: incident suspension (802-П п. 19); EXCHANGE_SUSPENDED is shared with formation.
      prefix: ['TRN_', 'INC_', 'EXCHANGE_'],
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
