// `pnpm test:hostile`: runs the hostile-input suite (vitest, this folder's config), adds up the figures each
// test file reported, prints them by kind, and ends with the one line CI and docs/reliability.md quote:
//   hostile: inputs=N crashes=N 5xx=N
// The exit status is vitest's, and non-zero as well when anything crashed or answered 5xx.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Report {
  inputs: number;
  crashes: number;
  fiveXx: number;
  kinds: Record<string, number>;
  problems: string[];
}

const here = import.meta.dirname;
const root = join(here, '..', '..');
const reportDir = mkdtempSync(join(tmpdir(), 'tc-hostile-report-'));
const started = Date.now();
const vitest = spawnSync(
  process.execPath,
  [
    join(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    '--config',
    join(here, 'vitest.config.ts'),
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, HOSTILE_REPORT_DIR: reportDir } },
);

const total: Report = { inputs: 0, crashes: 0, fiveXx: 0, kinds: {}, problems: [] };
const files = readdirSync(reportDir).filter((f) => f.endsWith('.json'));
for (const file of files.sort()) {
  const report = JSON.parse(readFileSync(join(reportDir, file), 'utf8')) as Report;
  total.inputs += report.inputs;
  total.crashes += report.crashes;
  total.fiveXx += report.fiveXx;
  for (const [kind, n] of Object.entries(report.kinds)) total.kinds[kind] = (total.kinds[kind] ?? 0) + n;
  total.problems.push(...report.problems);
  process.stdout.write(
    `  ${file.replace(/\.json$/, '').padEnd(28)} inputs=${report.inputs} crashes=${report.crashes} 5xx=${report.fiveXx}\n`,
  );
}
rmSync(reportDir, { recursive: true, force: true });

process.stdout.write('\nhostile inputs by kind:\n');
for (const [kind, n] of Object.entries(total.kinds).sort(([a], [b]) => a.localeCompare(b))) {
  process.stdout.write(`  ${kind.padEnd(30)} ${n}\n`);
}
for (const problem of total.problems.slice(0, 20)) process.stdout.write(`  ! ${problem}\n`);
process.stdout.write(`files=${files.length} seconds=${Math.round((Date.now() - started) / 1000)}\n`);
process.stdout.write(`hostile: inputs=${total.inputs} crashes=${total.crashes} 5xx=${total.fiveXx}\n`);
process.exit(vitest.status !== 0 ? (vitest.status ?? 1) : total.crashes + total.fiveXx > 0 ? 1 : 0);
