import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import {
  type DevCredentials,
  type DevServiceName,
  devIdentities,
  ensureDevCredentials,
  type ServiceProcess,
  serviceEnv,
  spawnService,
} from '@twincontour/cli';
import { devInit } from '@twincontour/crypto';
import { freePort } from './cluster.js';

// The gateway under test: formation, control, transport and the Bank of Russia simulator, each its own
// process started the way the dev gateway starts them (packages/cli/src/dev), each with its own database
// on the suite's PostgreSQL and both boundaries on the suite's Redis.

/** The services the suite kills and restarts. */
export const SERVICES = [
  'cbr-simulator',
  'formation',
  'control',
  'transport',
] as const satisfies readonly DevServiceName[];
export type ServiceName = (typeof SERVICES)[number];

/** One service: its environment stays the same across restarts (same port, database, keys). */
interface Slot {
  name: ServiceName;
  env: Record<string, string>;
  process: ServiceProcess | undefined;
  /** What the earlier processes of this service printed (kept across kills, the last 1 MB). */
  history: string;
  /** True while the suite itself is killing or stopping it: an exit then is expected. */
  expectingExit: boolean;
}

/** An exit the suite did not cause (a crash): the service's output tail is kept. */
export interface UnexpectedExit {
  service: ServiceName;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: Date;
  output: string;
}

/** The running gateway. */
export interface Stack {
  readonly credentials: DevCredentials;
  /** The development PKI the services use (trust store of the audit verification). */
  readonly pkiDir: string;
  url(service: ServiceName): string;
  /** SIGKILL (no graceful shutdown: whatever was in flight is cut off). */
  kill(service: ServiceName): Promise<void>;
  /** Starts a killed (or crashed) service again and waits for /ready. */
  start(service: ServiceName): Promise<void>;
  isUp(service: ServiceName): boolean;
  /** Exits the suite did not cause; each crashed service is started again by the caller. */
  readonly unexpectedExits: UnexpectedExit[];
  /** What every process of the service printed so far (earlier ones included, the last 1 MB). */
  output(service: ServiceName): string;
  /** SIGTERM every service (SIGKILL after a grace). */
  stopAll(): Promise<void>;
  /** The pids of the services running now (the last-resort cleanup kills them). */
  pids(): number[];
  /** The pid of one service's current process, if it runs. */
  pid(service: ServiceName): number | undefined;
}

/** Everything the stack is started from. */
export interface StackOptions {
  workDir: string;
  /** Each service's database URL (its own role, DESIGN.md: one database and role per service). */
  databases: Record<ServiceName, string>;
  redisUrl: string;
  /** Extra settings per service (timings of the suite). */
  extra?: Partial<Record<ServiceName, Record<string, string>>>;
  readyTimeoutMs: number;
  /** Every line a service prints from the moment it is ready (for counting what the suite looks for). */
  onLine?: (service: ServiceName, line: string) => void;
}

/** Makes the development PKI and credentials under `workDir` and starts the four services. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const pkiDir = join(options.workDir, 'pki');
  const pki = await devInit(pkiDir);
  if (!pki.ok) throw new Error(`FAULTS_PKI: ${pki.code} ${pki.message}`);
  const credentials = ensureDevCredentials(join(options.workDir, 'credentials.json'));
  const identities = devIdentities(credentials);
  const [fPort, cPort, tPort, sPort, mtlsPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const ports: Record<ServiceName, number> = {
    formation: fPort,
    control: cPort,
    transport: tPort,
    'cbr-simulator': sPort,
  };
  const own: Record<ServiceName, Record<string, string>> = {
    formation: { TWINCONTOUR_WEBHOOK_KEY: randomBytes(32).toString('base64') },
    control: {},
    transport: { TWINCONTOUR_PEER_URL: `https://127.0.0.1:${mtlsPort}` },
    'cbr-simulator': {
      TWINCONTOUR_SIM_HOST: '127.0.0.1',
      TWINCONTOUR_SIM_PORT: String(mtlsPort),
      TWINCONTOUR_SIM_STORE_DIR: join(options.workDir, 'cbr-received'),
    },
  };
  const slots = new Map<ServiceName, Slot>();
  for (const name of SERVICES) {
    slots.set(name, {
      name,
      env: serviceEnv({
        service: name,
        port: ports[name],
        databaseUrl: options.databases[name],
        identities,
        pkiDir,
        redisUrl: options.redisUrl,
        queuePrefix: 'tc',
        extra: { TWINCONTOUR_LOG_LEVEL: 'warn', ...own[name], ...options.extra?.[name] },
      }),
      process: undefined,
      history: '',
      expectingExit: false,
    });
  }
  const unexpectedExits: UnexpectedExit[] = [];
  const slot = (name: ServiceName): Slot => {
    const found = slots.get(name);
    if (!found) throw new Error(`unknown service ${name}`);
    return found;
  };

  async function start(name: ServiceName): Promise<void> {
    const s = slot(name);
    if (s.process && s.process.child.exitCode === null && s.process.child.signalCode === null) return;
    let lastError: unknown;
    // A service started while PostgreSQL or Redis is still recovering may exit before it is ready: try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const started = await spawnService(name, s.env, { readyTimeoutMs: options.readyTimeoutMs });
        s.process = started;
        s.expectingExit = false;
        const onLine = options.onLine;
        if (onLine) {
          let partial = '';
          const split = (chunk: Buffer) => {
            const lines = (partial + chunk.toString('utf8')).split('\n');
            partial = lines.pop() ?? '';
            for (const line of lines) onLine(name, line);
          };
          started.child.stdout?.on('data', split);
          started.child.stderr?.on('data', split);
        }
        started.child.once('exit', (code, signal) => {
          s.history = (s.history + started.output()).slice(-1_000_000);
          if (s.expectingExit || s.process !== started) return;
          unexpectedExits.push({ service: name, code, signal, at: new Date(), output: started.output().slice(-6000) });
        });
        return;
      } catch (error) {
        lastError = error;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    throw new Error(`FAULTS_SERVICE_START: ${name}: ${lastError instanceof Error ? lastError.message : lastError}`);
  }

  const stack: Stack = {
    credentials,
    pkiDir,
    url: (name) => `http://127.0.0.1:${ports[name]}`,
    async kill(name) {
      const s = slot(name);
      const child = s.process?.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      s.expectingExit = true;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    start,
    isUp(name) {
      const child = slot(name).process?.child;
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    unexpectedExits,
    output(name) {
      const s = slot(name);
      const running = s.process && stack.isUp(name) ? s.process.output() : '';
      return (s.history + running).slice(-1_000_000);
    },
    async stopAll() {
      await Promise.all(
        [...slots.values()].map(async (s) => {
          s.expectingExit = true;
          await s.process?.stop(10_000);
        }),
      );
    },
    pid(name) {
      const child = slot(name).process?.child;
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    pids() {
      return [...slots.values()]
        .map((s) => s.process?.child)
        .filter((c) => c !== undefined && c.exitCode === null && c.signalCode === null)
        .map((c) => c?.pid ?? 0)
        .filter((pid) => pid > 0);
    },
  };
  // The simulator first: transport delivers to it as soon as it starts.
  await start('cbr-simulator');
  await Promise.all((['formation', 'control', 'transport'] as const).map((name) => start(name)));
  return stack;
}
