import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DevCredentials,
  devIdentities,
  ensureDevCredentials,
  main,
  runScenario,
  type ServiceProcess,
  serviceEnv,
  spawnService,
} from '@twincontour/cli';
import { devInit } from '@twincontour/crypto';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@twincontour/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// 802-П п. 19 end to end, with the four services as processes: an operator suspends the exchange with the
// CLI (the development authorised person signs on the server); the Bank of Russia simulator confirms and
// refuses the participant; formation refuses new orders with EXCHANGE_SUSPENDED (`demo` reports it); the
// suspension survives a restart of transport; the operator resumes and an order executes again.

let work: string;
let pkiDir: string;
let credentialsFile: string;
let credentials: DevCredentials;
let redis: TestRedis;
let dbs: Record<'formation' | 'control' | 'transport' | 'simulator', TestDatabase>;
let formation: ServiceProcess;
let control: ServiceProcess;
let transport: ServiceProcess;
let simulator: ServiceProcess;
let transportEnv: Record<string, string>;

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Runs `twincontour ARGS…` in-process; exit code and what it printed. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    stdout: (c) => out.push(Buffer.from(c).toString()),
    stderr: (c) => err.push(c),
    cwd: work,
    env: {},
  });
  return { code, out: out.join(''), err: err.join('') };
}

const target = () => ['--transport-url', transport.url, '--credentials', credentialsFile];

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function happy() {
  return runScenario('happy', {
    formationUrl: formation.url,
    controlUrl: control.url,
    transportUrl: transport.url,
    simulatorUrl: simulator.url,
    simulatorKey: credentials['cbr-simulator'].ops!.key,
    formationKey: credentials.formation.backoffice!.key,
    controlKey: credentials.control.backoffice!.key,
    timeoutMs: 60_000,
  });
}

async function simulatorIncidents(): Promise<{
  suspension: { state: string };
  requests: { kind: string; decision: string }[];
}> {
  const answer = await fetch(`${simulator.url}/v1/incidents`, {
    headers: { authorization: `ApiKey ${credentials['cbr-simulator'].ops!.key}` },
  });
  expect(answer.status).toBe(200);
  return (await answer.json()) as { suspension: { state: string }; requests: { kind: string; decision: string }[] };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tc-e2e-incident-'));
  pkiDir = join(work, 'pki');
  const pki = await devInit(pkiDir);
  if (!pki.ok) throw new Error(pki.message);
  credentialsFile = join(work, 'credentials.json');
  credentials = ensureDevCredentials(credentialsFile);
  const [f, c, t, s, r] = await Promise.all([
    createTestDatabase(),
    createTestDatabase(),
    createTestDatabase(),
    createTestDatabase(),
    createTestRedis(),
  ]);
  dbs = { formation: f, control: c, transport: t, simulator: s };
  redis = r;
  const common = {
    pkiDir,
    redisUrl: `redis://${redis.connection.host}:${redis.connection.port}`,
    queuePrefix: redis.prefix,
    identities: devIdentities(credentials),
  };
  const [fPort, cPort, tPort, sPort, mtlsPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const quiet = { TWINCONTOUR_LOG_LEVEL: 'warn' };
  simulator = await spawnService(
    'cbr-simulator',
    serviceEnv({
      ...common,
      service: 'cbr-simulator',
      port: sPort,
      databaseUrl: dbs.simulator.connectionString,
      extra: {
        ...quiet,
        TWINCONTOUR_SIM_HOST: '127.0.0.1',
        TWINCONTOUR_SIM_PORT: String(mtlsPort),
        TWINCONTOUR_SIM_STORE_DIR: join(work, 'cbr-received'),
        TWINCONTOUR_SIM_ED206_DELAY_MS: '200',
      },
    }),
  );
  // serviceEnv gives transport TWINCONTOUR_DEV_AUTHORISED_PERSON: the development authorised person exists.
  transportEnv = serviceEnv({
    ...common,
    service: 'transport',
    port: tPort,
    databaseUrl: dbs.transport.connectionString,
    extra: {
      ...quiet,
      TWINCONTOUR_PEER_URL: `https://127.0.0.1:${mtlsPort}`,
      TWINCONTOUR_ANSWER_POLL_MS: '200',
      TWINCONTOUR_INCIDENT_RETRY_MS: '500',
    },
  });
  [formation, control, transport] = await Promise.all([
    spawnService(
      'formation',
      serviceEnv({
        ...common,
        service: 'formation',
        port: fPort,
        databaseUrl: dbs.formation.connectionString,
        extra: { ...quiet, TWINCONTOUR_WEBHOOK_KEY: randomBytes(32).toString('base64') },
      }),
    ),
    spawnService(
      'control',
      serviceEnv({
        ...common,
        service: 'control',
        port: cPort,
        databaseUrl: dbs.control.connectionString,
        extra: { ...quiet, TWINCONTOUR_SOURCE_WAIT_MS: '3000' },
      }),
    ),
    spawnService('transport', transportEnv),
  ]);
});

afterAll(async () => {
  await Promise.all([formation?.stop(), control?.stop(), transport?.stop()]);
  await simulator?.stop();
  let cursor = '0';
  do {
    const [next, keys] = await redis.redis.scan(cursor, 'MATCH', `${redis.prefix}-*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.redis.del(...keys);
  } while (cursor !== '0');
  await Promise.all([...Object.values(dbs ?? {}).map((db) => db.drop()), redis?.cleanup()]);
  rmSync(work, { recursive: true, force: true });
});

describe('incident suspension end to end (802-П п. 19)', () => {
  it('runs before the incident: an order executes', async () => {
    const result = await happy();
    expect(result.status, JSON.stringify(result.stages)).toBe('executed');
  });

  it('has a development authorised person on a fresh start', async () => {
    const listed = await cli('incident', 'persons', '--json', ...target());
    expect(listed.code, listed.err).toBe(0);
    const items = (JSON.parse(listed.out) as { items: { id: string; serverSigning: boolean }[] }).items;
    expect(items).toEqual([expect.objectContaining({ id: 'dev-authorised-person', serverSigning: true })]);
  });

  it('suspends with the CLI: the Bank of Russia confirms and refuses the participant', async () => {
    const suspended = await cli('incident', 'suspend', '--reason', 'Компрометация ключа АРМ', '--json', ...target());
    expect(suspended.code, suspended.err + suspended.out).toBe(0);
    const incident = JSON.parse(suspended.out) as { state: string; requests: { kind: string; status: string }[] };
    expect(incident.state).toBe('suspended');
    expect(incident.requests).toEqual([expect.objectContaining({ kind: 'suspend', status: 'answered' })]);
    const cbr = await simulatorIncidents();
    expect(cbr.suspension.state).toBe('suspended');
    expect(cbr.requests).toEqual([expect.objectContaining({ kind: 'suspend', decision: 'accepted' })]);
  });

  it('refuses new orders at formation with 503 EXCHANGE_SUSPENDED; `demo --json` reports it', async () => {
    const refused = await until(async () => {
      const result = await happy();
      return result.status === 'refused' ? result : undefined;
    }, 'formation to learn of the suspension');
    expect(refused.code).toBe('EXCHANGE_SUSPENDED');

    const posted = await fetch(`${formation.url}/v1/payment-orders`, {
      method: 'POST',
      headers: {
        authorization: `ApiKey ${credentials.formation.backoffice!.key}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({}),
    });
    expect(posted.status).toBe(503);
    expect(posted.headers.get('retry-after')).toBe('60');
    expect(((await posted.json()) as { code: string }).code).toBe('EXCHANGE_SUSPENDED');

    const demo = await cli(
      'demo',
      '--scenario',
      'happy',
      '--json',
      '--formation-url',
      formation.url,
      '--control-url',
      control.url,
      '--transport-url',
      transport.url,
      '--simulator-url',
      simulator.url,
      '--credentials',
      credentialsFile,
    );
    expect(demo.code).toBe(1);
    expect(JSON.parse(demo.out)).toMatchObject({ scenario: 'happy', status: 'refused', code: 'EXCHANGE_SUSPENDED' });
  });

  it('stays suspended across a restart of transport', async () => {
    await transport.stop();
    transport = await spawnService('transport', transportEnv);
    const status = await cli('incident', 'status', '--json', ...target());
    expect(status.code, status.err).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ exchange: { state: 'suspended' }, resendRequired: false });
    const human = await cli('incident', 'status', ...target());
    expect(human.out).toContain('exchange: suspended');
  });

  it('resumes with the CLI on the Bank of Russia answer; then an order executes again', async () => {
    const resumed = await cli('incident', 'resume', '--json', ...target());
    expect(resumed.code, resumed.err + resumed.out).toBe(0);
    expect(JSON.parse(resumed.out)).toMatchObject({ state: 'resumed' });
    expect((await simulatorIncidents()).suspension.state).toBe('running');
    const executed = await until(async () => {
      const result = await happy();
      return result.status === 'refused' ? undefined : result;
    }, 'formation to learn of the resumption');
    expect(executed.status, JSON.stringify(executed.stages)).toBe('executed');
    const again = await cli('incident', 'resume', ...target());
    expect(again.code).toBe(1);
    expect(again.err).toContain('INC_NOT_SUSPENDED');
  });
});
