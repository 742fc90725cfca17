#!/usr/bin/env node
// Bootstrap for a fresh clone where only Node is installed: `npm start`, `npm test` and `npm run bench`
// come here first, install what is missing (pnpm, the workspace's dependencies, xmllint), make sure
// PostgreSQL and Redis answer (starting them when they are installed but down), then do the work.
// Plain Node with no dependencies: it runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = String(rootPackage.packageManager).replace(/^pnpm@/, '');

function log(message) {
  process.stderr.write(`[twincontour] ${message}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) return { status: 127, error: result.error };
  return { status: result.status ?? 1 };
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** pnpm is the workspace's package manager; npm installs it once, at the version package.json pins. */
function ensurePnpm() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === pnpmVersion) return ['pnpm'];
  log(`installing pnpm ${pnpmVersion} with npm`);
  if (run('npm', ['install', '--global', `pnpm@${pnpmVersion}`]).status === 0 && has('pnpm')) return ['pnpm'];
  // No write access to the global prefix: run the pinned pnpm through npx instead.
  log('global install not possible; using npx');
  return ['npx', '--yes', `pnpm@${pnpmVersion}`];
}

function newestMtime(paths) {
  return Math.max(...paths.filter((p) => existsSync(p)).map((p) => statSync(p).mtimeMs), 0);
}

/** Installs the workspace's dependencies when node_modules is missing or older than the lockfile. */
function ensureDependencies(pnpm) {
  const marker = join(root, 'node_modules', '.modules.yaml');
  const manifests = [join(root, 'pnpm-lock.yaml'), join(root, 'package.json'), join(root, 'pnpm-workspace.yaml')];
  for (const group of ['packages', 'services']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) manifests.push(join(dir, name, 'package.json'));
  }
  if (existsSync(marker) && statSync(marker).mtimeMs >= newestMtime(manifests)) return;
  log('installing dependencies (pnpm install --frozen-lockfile)');
  const [cmd, ...pre] = pnpm;
  if (run(cmd, [...pre, 'install', '--frozen-lockfile']).status !== 0) {
    log('dependency installation failed');
    process.exit(1);
  }
}

/** xmllint is the independent schema checker the tests and the Bank of Russia simulator use. */
function ensureXmllint() {
  if (has('xmllint')) return true;
  if (isRoot() && has('apt-get')) {
    log('installing xmllint (Debian package libxml2-utils)');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'libxml2-utils'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  if (has('xmllint')) return true;
  log('xmllint is missing: install it with `sudo apt-get install libxml2-utils` (Debian/Ubuntu)');
  return false;
}

function reachable(host, port, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(host, port, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await reachable(host, port, 250)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** PostgreSQL and Redis must answer; when they are installed here but down, start them. */
async function ensureServices() {
  const pgHost = process.env.PGHOST ?? '127.0.0.1';
  const pgPort = Number(process.env.PGPORT ?? 5432);
  const redisHost = process.env.REDIS_HOST ?? '127.0.0.1';
  const redisPort = Number(process.env.REDIS_PORT ?? 6379);
  let ok = true;
  if (!(await reachable(pgHost, pgPort))) {
    if (has('pg_ctlcluster') && existsSync('/etc/postgresql')) {
      for (const version of readdirSync('/etc/postgresql')) {
        log(`starting PostgreSQL ${version}`);
        run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
      }
    }
    if (!(await waitFor(pgHost, pgPort, 20))) {
      ok = false;
      log(
        `PostgreSQL is not reachable at ${pgHost}:${pgPort}. Install and start it: ` +
          '`sudo apt-get install postgresql && sudo pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` ' +
          '(trust or password auth for user postgres; set PGHOST/PGPORT/PGUSER/PGPASSWORD if it runs elsewhere).',
      );
    }
  }
  if (!(await reachable(redisHost, redisPort))) {
    if (has('redis-server')) {
      log('starting Redis');
      run('redis-server', [
        '--daemonize',
        'yes',
        '--bind',
        '127.0.0.1',
        '--port',
        String(redisPort),
        '--save',
        '',
        '--appendonly',
        'no',
      ]);
    }
    if (!(await waitFor(redisHost, redisPort, 10))) {
      ok = false;
      log(
        `Redis is not reachable at ${redisHost}:${redisPort}. Install and start it: ` +
          '`sudo apt-get install redis-server && redis-server --daemonize yes --bind 127.0.0.1 --port 6379` ' +
          '(set REDIS_HOST/REDIS_PORT if it runs elsewhere).',
      );
    }
  }
  return ok;
}

async function ensureAll() {
  if (!has('openssl')) {
    log('openssl is missing: `sudo apt-get install openssl`');
    process.exit(1);
  }
  const pnpm = ensurePnpm();
  ensureDependencies(pnpm);
  const xmllint = ensureXmllint();
  const services = await ensureServices();
  return { pnpm, ready: xmllint && services };
}

/** Runs every test once and closes with a plain `tests: N passed, N failed` line. */
function runTests(pnpm, extraArgs) {
  const results = join(root, '.vitest-results.json');
  const [cmd, ...pre] = pnpm;
  const status = run(cmd, [
    ...pre,
    'exec',
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${results}`,
    ...extraArgs,
  ]).status;
  if (existsSync(results)) {
    const report = JSON.parse(readFileSync(results, 'utf8'));
    process.stdout.write(
      `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed` +
        (report.numPendingTests ? `, ${report.numPendingTests} skipped` : '') +
        '\n',
    );
  }
  return status;
}

/** Runs one of the suites under test/ that have their own runner (hostile input, faults); returns its status. */
function runSuite(pnpm, runner, extraArgs) {
  const [cmd, ...pre] = pnpm;
  return run(cmd, [...pre, 'exec', 'tsx', runner, ...extraArgs]).status;
}

const SUITES = { hostile: 'test/hostile/run.ts', faults: 'test/faults/run.ts' };

async function main() {
  const [command = 'help', ...args] = process.argv.slice(2);
  switch (command) {
    case 'ensure': {
      const { ready } = await ensureAll();
      process.exit(ready ? 0 : 1);
      break;
    }
    case 'test': {
      // Every test: the unit, service and end-to-end tests, then the hostile-input suite, then the fault
      // suite (each closes with its own summary line). With arguments, only vitest runs, with them.
      const { pnpm, ready } = await ensureAll();
      if (!ready) process.exit(1);
      const unit = runTests(pnpm, args);
      if (args.length > 0) process.exit(unit);
      const hostile = runSuite(pnpm, SUITES.hostile, []);
      const faults = runSuite(pnpm, SUITES.faults, []);
      process.exit(unit || hostile || faults);
      break;
    }
    case 'hostile':
    case 'faults': {
      const { pnpm, ready } = await ensureAll();
      if (!ready) process.exit(1);
      process.exit(runSuite(pnpm, SUITES[command], args));
      break;
    }
    case 'bench': {
      const { pnpm } = await ensureAll();
      const [cmd, ...pre] = pnpm;
      process.exit(run(cmd, [...pre, 'exec', 'tsx', 'scripts/bench.ts', ...args]).status);
      break;
    }
    case 'start': {
      const { pnpm, ready } = await ensureAll();
      if (!ready) process.exit(1);
      const [cmd, ...pre] = pnpm;
      process.exit(run(cmd, [...pre, 'exec', 'tsx', 'scripts/start.ts', ...args]).status);
      break;
    }
    default:
      process.stdout.write('usage: node scripts/tc.mjs ensure|test|hostile|faults|bench|start\n');
      process.exit(command === 'help' ? 0 : 2);
  }
}

await main();
