// The gateway as four real processes (formation, control, transport, the Bank of Russia simulator), each
// with its own database, sharing only the boundary Redis. Two parts:
//
// 1. Backpressure (issue 8): with control stopped, then with the Bank of Russia channel down, formation
//    accepts orders up to TWINCONTOUR_BACKLOG_LIMIT, then answers 503 FRM_BACKPRESSURE with Retry-After;
//    once the contour or the channel is back every accepted order is executed, and the refused one,
//    posted again, is accepted and executed too. Nothing is dropped.
// 2. Crash detection: hostile HTTP over real sockets to every route the processes publish in their
//    OpenAPI documents, raw protocol abuse on the sockets, garbage on the simulator's mTLS port; then every
//    process must still be alive and answer /health 200.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DevCredentials,
  devIdentities,
  ensureDevCredentials,
  type ServiceProcess,
  serviceEnv,
  spawnService,
} from '@twincontour/cli';
import { devInit, readDevIdentity } from '@twincontour/crypto';
import {
  createTestDatabase,
  createTestRedis,
  type DeclaredRoute,
  type Role,
  type TestDatabase,
  type TestRedis,
} from '@twincontour/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_CODES } from '../../services/cbr-simulator/src/errors.js';
import { SERVICE_CATALOGS } from './support/catalogs.js';
import { exampleOrder } from './support/inputs.js';
import { judge } from './support/judge.js';
import { hostileRequests } from './support/routes.js';
import { createTally } from './support/tally.js';

const tally = createTally(import.meta.filename);
const BACKLOG_LIMIT = 4;
const RETRY_AFTER_S = 7;

type Name = 'formation' | 'control' | 'transport' | 'cbr-simulator';
const NAMES: readonly Name[] = ['formation', 'control', 'transport', 'cbr-simulator'];

let work: string;
let pkiDir: string;
let credentials: DevCredentials;
let redis: TestRedis;
const dbs = {} as Record<Name, TestDatabase>;
const envs = {} as Record<Name, Record<string, string>>;
const processes = {} as Record<Name, ServiceProcess>;
let mtlsPort: number;

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

const keyOf = (name: Name, role: Role) => credentials[name][role]?.key;
const auth = (name: Name, role: Role) => ({ authorization: `ApiKey ${keyOf(name, role)}` });

async function call(
  name: Name,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; headers: Headers; body: string }> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const answer = await fetch(`${processes[name].url}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...options.headers },
    ...(body ? { body } : {}),
  });
  return { status: answer.status, headers: answer.headers, body: await answer.text() };
}

async function start(name: Name): Promise<void> {
  processes[name] = await spawnService(name, envs[name]);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tc-hostile-processes-'));
  pkiDir = join(work, 'pki');
  const pki = await devInit(pkiDir);
  if (!pki.ok) throw new Error(pki.message);
  credentials = ensureDevCredentials(join(work, 'credentials.json'));
  const made = await Promise.all([...NAMES.map(() => createTestDatabase()), createTestRedis()]);
  for (const [i, name] of NAMES.entries()) dbs[name] = made[i] as TestDatabase;
  redis = made[NAMES.length] as TestRedis;
  const common = {
    pkiDir,
    redisUrl: `redis://${redis.connection.host}:${redis.connection.port}`,
    queuePrefix: redis.prefix,
    identities: devIdentities(credentials),
  };
  const [fPort, cPort, tPort, sPort, mPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  mtlsPort = mPort;
  const quiet = { TWINCONTOUR_LOG_LEVEL: 'warn' };
  const env = (service: Name, port: number, extra: Record<string, string>) =>
    serviceEnv({ ...common, service, port, databaseUrl: dbs[service].connectionString, extra: { ...quiet, ...extra } });
  envs['cbr-simulator'] = env('cbr-simulator', sPort, {
    TWINCONTOUR_SIM_HOST: '127.0.0.1',
    TWINCONTOUR_SIM_PORT: String(mtlsPort),
    TWINCONTOUR_SIM_STORE_DIR: join(work, 'cbr-received'),
    TWINCONTOUR_SIM_ED206_DELAY_MS: '200',
  });
  envs.formation = env('formation', fPort, {
    TWINCONTOUR_WEBHOOK_KEY: randomBytes(32).toString('base64'),
    TWINCONTOUR_BACKLOG_LIMIT: String(BACKLOG_LIMIT),
    TWINCONTOUR_BACKLOG_RETRY_AFTER_S: String(RETRY_AFTER_S),
    TWINCONTOUR_OUTBOX_INTERVAL_MS: '100',
  });
  // Orders wait long for their primary document: none may be refused while control is stopped.
  envs.control = env('control', cPort, { TWINCONTOUR_SOURCE_WAIT_MS: '300000' });
  envs.transport = env('transport', tPort, {
    TWINCONTOUR_PEER_URL: `https://127.0.0.1:${mtlsPort}`,
    TWINCONTOUR_ANSWER_POLL_MS: '200',
  });
  await start('cbr-simulator');
  await Promise.all([start('formation'), start('control'), start('transport')]);
});

afterAll(async () => {
  tally.save();
  await Promise.all([processes.formation?.stop(), processes.control?.stop(), processes.transport?.stop()]);
  await processes['cbr-simulator']?.stop();
  let cursor = '0';
  do {
    const [next, keys] = await redis.redis.scan(cursor, 'MATCH', `${redis.prefix}-*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.redis.del(...keys);
  } while (cursor !== '0');
  await Promise.all([...NAMES.map((n) => dbs[n]?.drop()), redis?.cleanup()]);
  rmSync(work, { recursive: true, force: true });
});

let docNo = 5100;
/** A new order and its primary document, posted to control (which must be up). */
async function prepareOrder(): Promise<Record<string, unknown>> {
  const order = { ...exampleOrder(), accDocNo: String(docNo++) };
  const stored = await call('control', 'POST', '/v1/source-documents', {
    headers: auth('control', 'backoffice'),
    body: order,
  });
  expect(stored.status, stored.body).toBe(201);
  return order;
}

const postOrder = (order: unknown, key: string) =>
  call('formation', 'POST', '/v1/payment-orders', {
    headers: { ...auth('formation', 'backoffice'), 'idempotency-key': key },
    body: order,
  });

async function statusOf(orderId: string): Promise<string> {
  const answer = await call('formation', 'GET', `/v1/payment-orders/${orderId}`, {
    headers: auth('formation', 'formation-operator'),
  });
  return (JSON.parse(answer.body) as { status: string }).status;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function backlogGauge(): Promise<number> {
  const metrics = await call('formation', 'GET', '/metrics', { headers: auth('formation', 'ops') });
  return Number(/^formation_backlog_orders\{[^}]*\} (\d+)/m.exec(metrics.body)?.[1] ?? Number.NaN);
}

/**
 * Fills formation's bound while `down` is down: BACKLOG_LIMIT orders accepted, the next answered 503
 * FRM_BACKPRESSURE with Retry-After, a repeat of an accepted one still replayed. Returns the accepted ids
 * and the refused order with its key.
 */
async function fillTheBound(
  orders: Record<string, unknown>[],
  reached: (id: string) => Promise<boolean>,
): Promise<{ accepted: { id: string; key: string; order: unknown }[]; refused: { key: string; order: unknown } }> {
  const accepted: { id: string; key: string; order: unknown }[] = [];
  for (const order of orders.slice(0, BACKLOG_LIMIT)) {
    const key = `bp-${randomUUID()}`;
    const answer = await postOrder(order, key);
    expect(answer.status, answer.body).toBe(201);
    const id = (JSON.parse(answer.body) as { id: string }).id;
    accepted.push({ id, key, order });
    await until(`order ${id} in flight`, () => reached(id));
  }
  const refused = { key: `bp-${randomUUID()}`, order: orders[BACKLOG_LIMIT] };
  // The count is read at most once a second: wait until it sees the orders just accepted.
  await new Promise((r) => setTimeout(r, 1_100));
  const answer = await postOrder(refused.order, refused.key);
  expect(answer.status, answer.body).toBe(503);
  expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 503, code: 'FRM_BACKPRESSURE' });
  expect(answer.headers.get('retry-after')).toBe(String(RETRY_AFTER_S));
  // A repeat of an accepted order adds nothing: still answered with its order.
  const first = accepted[0];
  if (first) {
    const replay = await postOrder(first.order, first.key);
    expect(replay.status).toBe(200);
    expect((JSON.parse(replay.body) as { id: string }).id).toBe(first.id);
  }
  expect(await backlogGauge()).toBe(BACKLOG_LIMIT);
  return { accepted, refused };
}

/** Every accepted order executed, then the refused one accepted on its retry and executed too. */
async function everythingFlows(accepted: { id: string }[], refused: { key: string; order: unknown }): Promise<void> {
  await until('every accepted order executed', async () => {
    const statuses = await Promise.all(accepted.map((a) => statusOf(a.id)));
    return statuses.every((s) => s === 'executed');
  });
  await new Promise((r) => setTimeout(r, 1_100));
  const retried = await postOrder(refused.order, refused.key);
  expect(retried.status, retried.body).toBe(201);
  const id = (JSON.parse(retried.body) as { id: string }).id;
  await until('the retried order executed', async () => (await statusOf(id)) === 'executed');
  expect(await backlogGauge()).toBe(0);
}

describe('backpressure', () => {
  it('control stopped: formation takes orders up to the bound, then 503 FRM_BACKPRESSURE with Retry-After; all flow once control is back', async () => {
    const orders = [];
    for (let i = 0; i <= BACKLOG_LIMIT; i++) orders.push(await prepareOrder());
    await processes.control.stop();
    const { accepted, refused } = await fillTheBound(
      orders,
      async (id) => (await statusOf(id)) === 'signed-by-formation',
    );
    await start('control');
    await everythingFlows(accepted, refused);
  });

  it('the Bank of Russia channel down: orders pile up controlled but unsent, 503 past the bound; all flow once it is back', async () => {
    const orders = [];
    for (let i = 0; i <= BACKLOG_LIMIT; i++) orders.push(await prepareOrder());
    await processes['cbr-simulator'].stop();
    const { accepted, refused } = await fillTheBound(
      orders,
      async (id) => (await statusOf(id)) === 'signed-by-control',
    );
    await start('cbr-simulator');
    await everythingFlows(accepted, refused);
  });
});

/** The routes a process publishes (its OpenAPI document), as declared routes. */
async function publishedRoutes(name: Name): Promise<DeclaredRoute[]> {
  const doc = JSON.parse((await call(name, 'GET', '/openapi.json')).body) as {
    paths: Record<string, Record<string, { 'x-roles'?: Role[]; security?: unknown[] }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => ({
      method: method.toUpperCase(),
      url: path.replace(/\{([^}]+)\}/g, ':$1'),
      public: (op.security ?? []).length === 0,
      roles: op['x-roles'] ?? [],
    })),
  );
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** One request over a real socket; a refused connection or a reset is reported, never thrown. */
function send(
  name: Name,
  request: { method: string; url: string; headers: Record<string, string>; payload?: string | Buffer },
): Promise<{ statusCode: number; body: string } | { error: string }> {
  const url = new URL(processes[name].url);
  return new Promise((resolve) => {
    let req: ReturnType<typeof httpRequest>;
    try {
      req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: request.method,
          path: request.url,
          headers: request.headers,
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (error) => resolve({ error: error.message }));
        },
      );
    } catch (error) {
      // node refuses to send it (a header value with a newline): the input never left this process.
      resolve({ error: `not sent: ${(error as Error).message}` });
      return;
    }
    req.on('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
    req.end(request.payload);
  });
}

/** Raw bytes on a new connection; whatever came back before the server closed it. */
function raw(port: number, bytes: string, closeAfterMs = 600): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes, 'latin1'));
    const timer = setTimeout(() => socket.destroy(), closeAfterMs);
    const done = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', done);
    socket.on('close', done);
  });
}

/** Abuse of HTTP/1.1 itself, below any route. */
const RAW_ATTACKS: readonly { kind: string; bytes: string }[] = [
  { kind: 'raw-garbage', bytes: 'GARBAGE\r\n\r\n' },
  { kind: 'raw-garbage', bytes: '\x00\x01\x02\xff\xfe\r\n\r\n' },
  { kind: 'raw-bad-version', bytes: 'GET /health HTTP/9.9\r\nHost: x\r\n\r\n' },
  { kind: 'raw-http2-preface', bytes: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' },
  { kind: 'raw-header-overflow', bytes: `GET /health HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\n\r\n` },
  {
    kind: 'raw-many-headers',
    bytes: `GET /health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3_000 }, (_, i) => `X-${i}: 1\r\n`).join('')}\r\n`,
  },
  {
    kind: 'raw-bad-content-length',
    bytes: 'POST /v1/payment-orders HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
  },
  {
    kind: 'raw-bad-content-length',
    bytes: 'POST /v1/payment-orders HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  },
  {
    kind: 'raw-bad-content-length',
    bytes: 'POST /v1/payment-orders HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcde',
  },
  {
    kind: 'raw-smuggling',
    bytes:
      'POST /v1/payment-orders HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n',
  },
  {
    kind: 'raw-bad-chunk',
    bytes: 'POST /v1/payment-orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n',
  },
  {
    kind: 'raw-truncated-body',
    bytes:
      'POST /v1/payment-orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":',
  },
  { kind: 'raw-slow-headers', bytes: 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ' },
  { kind: 'raw-null-in-header', bytes: 'GET /health HTTP/1.1\r\nHost: x\r\nX-N: a\x00b\r\n\r\n' },
  {
    kind: 'raw-expect-continue',
    bytes: 'POST /v1/payment-orders HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n',
  },
  {
    kind: 'raw-pipelined',
    bytes: `${'GET /health HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(300)}GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
  },
  { kind: 'raw-absolute-uri', bytes: 'GET http://evil.example/health HTTP/1.1\r\nHost: x\r\n\r\n' },
  { kind: 'raw-connect', bytes: 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n' },
];

describe('crash detection: hostile input over real sockets', () => {
  it('leaves every process alive and healthy, every answer a catalogued 4xx', async () => {
    const problems: string[] = [];
    // The four services at once: each gets its inputs in order, and they share the two cores.
    const assault = async (name: Name) => {
      const catalog = SERVICE_CATALOGS[name];
      for (const [index, route] of (await publishedRoutes(name)).entries()) {
        const role = route.roles.find((r) => keyOf(name, r) !== undefined);
        if (!route.public && !role) continue; // a role the development staff lacks (service)
        const requests = hostileRequests(route, route.public || !role ? {} : auth(name, role), {
          bodyLimit: 1024 * 1024,
          intensity: 0,
          salt: 5_000 + index,
        });
        // Every third fixed case: the in-process suite sends them all; this pass is about the sockets.
        for (const request of requests.filter((_, i) => i % 3 === 0)) {
          tally.count(request.kind);
          const answer = await send(name, request);
          if ('error' in answer) continue; // refused by the socket or by node before sending: no answer to judge
          problems.push(
            ...judge(
              tally,
              catalog,
              `${name} ${request.method} ${request.url.slice(0, 80)} [${request.kind}]`,
              answer,
              { head: request.method === 'HEAD' },
            ),
          );
        }
      }
      const port = Number(new URL(processes[name].url).port);
      await Promise.all(
        RAW_ATTACKS.map(async (attack) => {
          tally.count(attack.kind);
          const answer = await raw(port, attack.bytes);
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
          const head = answer.slice(0, answer.indexOf('\r\n\r\n'));
          const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          const body = answer.slice(head.length + 4, head.length + 4 + length);
          // The first answer on the connection (node answers what its parser refuses, the app the rest).
          if (status > 0)
            problems.push(...judge(tally, catalog, `${name} [${attack.kind}]`, { statusCode: status, body }));
        }),
      );
    };
    await Promise.all(NAMES.map(assault));

    // The simulator's mTLS port: no certificate, plain HTTP, TLS garbage, and hostile CMS from the
    // registered participant.
    const transportIdentity = await readDevIdentity(pkiDir, 'transport');
    if (!transportIdentity.ok) throw new Error(transportIdentity.code);
    const ca = readFileSync(
      join(
        pkiDir,
        (JSON.parse(readFileSync(join(pkiDir, 'trust.json'), 'utf8')) as { ca: { certificate: string } }).ca
          .certificate,
      ),
      'utf8',
    );
    const tls = {
      ca,
      key: transportIdentity.value.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      cert: transportIdentity.value.certificatePem,
    };
    for (const bytes of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', '\x16\x03\x01\xff\xff\x00', 'x'.repeat(70_000)]) {
      tally.count('tls-garbage');
      await raw(mtlsPort, bytes, 1_000);
    }
    const exchange = (
      body: Buffer,
      headers: Record<string, string>,
      client: { ca: string; key?: string; cert?: string } = tls,
    ): Promise<{ statusCode: number; body: string } | { error: string }> =>
      new Promise((resolve) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port: mtlsPort,
            method: 'POST',
            path: '/v1/exchange',
            servername: 'cbr-simulator',
            headers,
            agent: false,
            ...client,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
            );
          },
        );
        req.on('error', (error) => resolve({ error: error.message }));
        req.end(body);
      });
    const cases: [string, Buffer, Record<string, string>, { ca: string; key?: string; cert?: string }?][] = [
      ['tls-no-client-certificate', Buffer.from('x'), { 'content-type': 'application/cms' }, { ca }],
      ['wrong-content-type', Buffer.from('x'), { 'content-type': 'text/plain' }],
      ['bad-ed-ref', Buffer.from('x'), { 'content-type': 'application/cms', 'x-ed-ref': '../../x' }],
      ['oversized', Buffer.alloc(1024 * 1024 + 1), { 'content-type': 'application/cms' }],
      ...Array.from({ length: 10 }, (): [string, Buffer, Record<string, string>] => [
        'random-cms',
        randomBytes(64 + Math.floor(Math.random() * 512)),
        { 'content-type': 'application/cms' },
      ]),
    ];
    for (const [kind, body, headers, client] of cases) {
      tally.count(kind);
      const answer = await exchange(body, headers, client);
      if (!('error' in answer)) problems.push(...judge(tally, SIMULATOR_CODES, `intake [${kind}]`, answer));
    }

    // Everyone alive and healthy.
    for (const name of NAMES) {
      const { child } = processes[name];
      const alive = child.exitCode === null && child.signalCode === null;
      const health = alive ? await call(name, 'GET', '/health').catch(() => ({ status: 0 })) : { status: 0 };
      if (!alive || health.status !== 200) {
        tally.crashes += 1;
        problems.push(
          `${name} died or is unhealthy (exit ${child.exitCode}, health ${health.status}):\n${processes[name].output().slice(-2000)}`,
        );
      }
      if (/"level":"fatal"|uncaughtException|unhandledRejection/.test(processes[name].output())) {
        problems.push(`${name} logged a fatal error:\n${processes[name].output().slice(-2000)}`);
      }
    }
    tally.problems.push(...problems.filter((p) => p.includes('died')));
    expect(problems).toEqual([]);
  });
});
