// `pnpm bench`: runs every benchmark of the workspace (each package's bench/*.ts), one after another,
// so they do not compete for the machine's two cores. Speed is measured here, never asserted in tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const only = process.argv[2];
let failed = 0;
for (const group of ['packages', 'services']) {
  const groupDir = join(root, group);
  if (!existsSync(groupDir)) continue;
  for (const name of readdirSync(groupDir)) {
    const benchDir = join(groupDir, name, 'bench');
    if (!existsSync(benchDir) || (only && only !== name)) continue;
    for (const file of readdirSync(benchDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      process.stdout.write(`\n== ${group}/${name}/bench/${file}\n`);
      const result = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, file)], {
        stdio: 'inherit',
        cwd: join(groupDir, name),
      });
      if (result.status !== 0) failed++;
    }
  }
}
process.exit(failed === 0 ? 0 : 1);
