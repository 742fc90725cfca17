// `pnpm docs:errors`: regenerates docs/errors.md from the catalogs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderErrorsDoc } from './errors-doc.js';

writeFileSync(join(import.meta.dirname, '../../../docs/errors.md'), renderErrorsDoc());
