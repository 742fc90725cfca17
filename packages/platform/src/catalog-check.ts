import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCatalog } from './codes.js';

/** What {@link catalogProblems} checks: one package's catalog, its doc and its sources. */
export interface CatalogCheckOptions {
  /** The package's frozen catalog (`defineErrorCatalog`). */
  catalog: ErrorCatalog;
  /** The code prefix(es) of the package, underscore included: `'CTL_'`, or `['CFG_', 'PLT_']`. */
  prefix: string | readonly string[];
  /** The markdown file whose table rows `| \`CODE\` | status | … |` document the catalog. */
  docFile: string;
  /** The folder walked for `.ts` files whose string literals name codes with the prefix. */
  sourceDir: string;
  /**
   * File names left out of the walk: an exact name (`'errors.ts'`) or, starting with `*`, a suffix
   * (`'*.test.ts'`). Default: none.
   */
  exclude?: readonly string[];
  /** Walk sub-folders of `sourceDir` too. Default: true. */
  recursive?: boolean;
}

/** Every way a catalog is out of step with its doc or its sources; each list is sorted, empty when all is well. */
export interface CatalogProblems {
  /** In the catalog, missing from the doc table. */
  undocumented: string[];
  /** In the doc table, missing from the catalog. */
  notInCatalog: string[];
  /** In both, with a different status: `CODE: catalog <n>, doc <m>`. */
  statusMismatch: string[];
  /** In the catalog, never named by a source file. */
  unused: string[];
  /** Named by a source file, missing from the catalog. */
  usedButMissing: string[];
  /**
   * Entries that break the catalog's shape (code without the prefix, status outside 400–599, meaning or
   * action too short to help an operator), and `(catalog not frozen)` when the catalog can be changed.
   */
  malformed: string[];
}

const DOC_ROW = /^\| `([A-Z0-9_]+)` \| (\d{3}) \|/gm;

/**
 * Compares an error catalog with its doc and with the code literals of its sources, so each package's
 * test keeps the three in step with one call (STYLE.md, Errors: fastify's catalog ↔ doc test). Reads the
 * files with node:fs and imports no test runner; a missing doc file or source folder throws, as a fault of
 * the test setup rather than a finding.
 */
export function catalogProblems(options: CatalogCheckOptions): CatalogProblems {
  const { catalog, docFile, sourceDir, exclude = [], recursive = true } = options;
  const prefixes = typeof options.prefix === 'string' ? [options.prefix] : [...options.prefix];
  const alternatives = prefixes.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const codeLiteral = new RegExp(`['"\`]((?:${alternatives})[A-Z0-9_]+)`, 'g');
  const wellFormedCode = new RegExp(`^(?:${alternatives})[A-Z0-9_]+$`);

  const codes = Object.keys(catalog);
  const doc = new Map<string, number>();
  for (const match of readFileSync(docFile, 'utf8').matchAll(DOC_ROW)) {
    if (match[1] && match[2]) doc.set(match[1], Number(match[2]));
  }

  const used = new Set<string>();
  for (const file of sourceFiles(sourceDir, exclude, recursive)) {
    for (const match of readFileSync(file, 'utf8').matchAll(codeLiteral)) if (match[1]) used.add(match[1]);
  }

  const statusMismatch: string[] = [];
  const malformed: string[] = [];
  for (const [code, info] of Object.entries(catalog)) {
    const documented = doc.get(code);
    if (documented !== undefined && documented !== info.status) {
      statusMismatch.push(`${code}: catalog ${info.status}, doc ${documented}`);
    }
    const shaped =
      wellFormedCode.test(code) &&
      info.status >= 400 &&
      info.status < 600 &&
      info.meaning.length > 10 &&
      info.action.length > 5;
    if (!shaped) malformed.push(code);
  }
  // A code is never renamed or reused (STYLE.md, Errors): a catalog that can be changed at run time breaks that.
  if (!Object.isFrozen(catalog)) malformed.push('(catalog not frozen)');

  return {
    undocumented: codes.filter((c) => !doc.has(c)).sort(),
    notInCatalog: [...doc.keys()].filter((c) => !(c in catalog)).sort(),
    statusMismatch: statusMismatch.sort(),
    unused: codes.filter((c) => !used.has(c)).sort(),
    usedButMissing: [...used].filter((c) => !(c in catalog)).sort(),
    malformed: malformed.sort(),
  };
}

function excluded(name: string, exclude: readonly string[]): boolean {
  return exclude.some((pattern) => (pattern.startsWith('*') ? name.endsWith(pattern.slice(1)) : name === pattern));
}

function sourceFiles(dir: string, exclude: readonly string[], recursive: boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return recursive ? sourceFiles(path, exclude, recursive) : [];
    return entry.name.endsWith('.ts') && !excluded(entry.name, exclude) ? [path] : [];
  });
}
