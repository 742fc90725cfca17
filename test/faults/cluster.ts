import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

// The fault suite's own PostgreSQL and Redis (issue 8): started from the installed binaries in temporary
// directories on spare ports, so that the suite may crash and restart them without touching the shared
// servers other tests use.

/** A free TCP port on 127.0.0.1 (the OS picks it; closed again at once). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The newest installed PostgreSQL's bin directory (Debian layout), or the one `pg_config --bindir` names. */
export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(base, versions[0], 'bin');
  }
  const probe = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (probe.status === 0 && existsSync(join(probe.stdout.trim(), 'initdb'))) return probe.stdout.trim();
  throw new Error('FAULTS_NO_POSTGRES: no PostgreSQL binaries found (initdb, pg_ctl)');
}

/** A PostgreSQL cluster of the suite's own: trust authentication, superuser `postgres`. */
export interface PostgresInstance {
  readonly port: number;
  /** Superuser URL of database `postgres`. */
  readonly adminUrl: string;
  /** Crash (`pg_ctl stop -m immediate`: no shutdown checkpoint, crash recovery on the next start). */
  crash(): void;
  /** Starts it again and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops it (immediate) and removes nothing; {@link PostgresInstance.destroy} removes the files. */
  stop(): void;
  /** The server log's tail (diagnostics). */
  logTail(bytes?: number): string;
  destroy(): void;
}

/**
 * initdb refuses to run as root: when we are root, every PostgreSQL command runs as the `postgres` OS
 * user (`runuser`), and the cluster's directory belongs to it.
 */
function asPostgresUser(command: string, args: readonly string[]): { cmd: string; args: string[] } {
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    return { cmd: 'runuser', args: ['-u', 'postgres', '--', command, ...args] };
  }
  return { cmd: command, args: [...args] };
}

function run(command: string, args: readonly string[], timeoutMs: number): void {
  const wrapped = asPostgresUser(command, args);
  const result = spawnSync(wrapped.cmd, wrapped.args, { encoding: 'utf8', timeout: timeoutMs });
  if (result.status !== 0) {
    throw new Error(
      `FAULTS_POSTGRES_COMMAND: ${command} ${args.join(' ')} exited ${result.status ?? result.signal}: ` +
        `${result.error?.message ?? ''}${result.stderr}${result.stdout}`.slice(0, 4000),
    );
  }
}

/** Creates (initdb) and starts a cluster under `dir` on a spare port. */
export async function startPostgres(dir: string): Promise<PostgresInstance> {
  const bin = postgresBinDir();
  const port = await freePort();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  run(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    120_000,
  );
  // Production-like durability (fsync, synchronous_commit on): a crash must not lose a committed row.
  const options = [
    `-c port=${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    '-c max_connections=300',
    '-c shared_buffers=64MB',
    '-c fsync=on',
    '-c synchronous_commit=on',
  ].join(' ');
  const instance: PostgresInstance = {
    port,
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    crash() {
      if (existsSync(join(data, 'postmaster.pid')))
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], 30_000);
    },
    async start() {
      run(join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-w', '-t', '60', '-o', options, 'start'], 90_000);
      for (let i = 0; i < 100; i++) {
        const ready = spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q']);
        if (ready.status === 0) return;
        await sleep(100);
      }
      throw new Error(`FAULTS_POSTGRES_NOT_READY: port ${port}\n${instance.logTail()}`);
    },
    stop() {
      try {
        instance.crash();
      } catch {
        // Already down.
      }
    },
    logTail(bytes = 4000) {
      try {
        return readFileSync(log, 'utf8').slice(-bytes);
      } catch {
        return '';
      }
    },
    destroy() {
      instance.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await instance.start();
  return instance;
}

/** A Redis server of the suite's own, production-like: AOF `everysec`, `noeviction`. */
export interface RedisInstance {
  readonly port: number;
  readonly url: string;
  /** SIGKILL, then start again; with `wipe` the data files are deleted first (a Redis that lost its memory). */
  restart(options: { wipe: boolean }): Promise<void>;
  stop(): Promise<void>;
  /** The server's pid while it runs (the last-resort cleanup kills it synchronously). */
  pid(): number | undefined;
  logTail(bytes?: number): string;
  destroy(): Promise<void>;
}

/** Starts `redis-server` as a child process with its data under `dir`. */
export async function startRedis(dir: string): Promise<RedisInstance> {
  const port = await freePort();
  const data = join(dir, 'data');
  const log = join(dir, 'redis.log');
  mkdirSync(data, { recursive: true });
  let child: ChildProcess | undefined;

  async function ping(): Promise<boolean> {
    const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], {
      encoding: 'utf8',
      timeout: 2000,
    });
    return result.status === 0 && result.stdout.trim() === 'PONG';
  }

  async function start(): Promise<void> {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        data,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        '--daemonize',
        'no',
        '--logfile',
        log,
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`FAULTS_REDIS_EXITED: ${child.exitCode}\n${instance.logTail()}`);
      if (await ping()) return;
      await sleep(100);
    }
    throw new Error(`FAULTS_REDIS_NOT_READY: port ${port}\n${instance.logTail()}`);
  }

  async function kill(): Promise<void> {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = once(current, 'exit');
    current.kill('SIGKILL');
    await exited;
  }

  const instance: RedisInstance = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async restart({ wipe }) {
      await kill();
      if (wipe) {
        rmSync(data, { recursive: true, force: true });
        mkdirSync(data, { recursive: true });
      }
      await start();
    },
    stop: kill,
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    logTail(bytes = 4000) {
      try {
        return readFileSync(log, 'utf8').slice(-bytes);
      } catch {
        return '';
      }
    },
    async destroy() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await start();
  return instance;
}
