// Starts the whole gateway locally: development keys on first start (`twincontour pki dev-init`),
// then every service under services/ that has a src/main.ts, each as its own process, with
// SIGINT/SIGTERM passed on so that each finishes or hands back its in-flight work.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const pkiDir = process.env.TWINCONTOUR_PKI_DIR ?? join(root, '.dev', 'pki');
const cli = join(root, 'packages', 'cli', 'bin', 'twincontour.mjs');

const init = spawnSync(process.execPath, [cli, 'pki', 'dev-init', pkiDir], { stdio: 'inherit' });
if (init.status !== 0) {
  process.stderr.write('[start] development PKI could not be made; see above\n');
  process.exit(1);
}

const servicesDir = join(root, 'services');
const services = existsSync(servicesDir)
  ? readdirSync(servicesDir).filter((name) => existsSync(join(servicesDir, name, 'src', 'main.ts')))
  : [];

if (services.length === 0) {
  process.stdout.write(
    `[start] development PKI ready in ${pkiDir}\n` +
      '[start] no gateway service is built yet (services/ is empty); the command-line tool works:\n' +
      '        pnpm twincontour help\n',
  );
  process.exit(0);
}

const children = new Map<string, ChildProcess>();
let stopping = false;
for (const name of services) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(servicesDir, name, 'src', 'main.ts')], {
    stdio: 'inherit',
    env: { ...process.env, TWINCONTOUR_PKI_DIR: pkiDir },
  });
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      process.stderr.write(`[start] ${name} exited (${signal ?? code}); stopping the gateway\n`);
      stop('SIGTERM');
    }
    if (children.size === 0) process.exit(stopping ? 0 : 1);
  });
}

function stop(signal: NodeJS.Signals): void {
  stopping = true;
  for (const child of children.values()) child.kill(signal);
}
process.on('SIGINT', () => stop('SIGTERM'));
process.on('SIGTERM', () => stop('SIGTERM'));
