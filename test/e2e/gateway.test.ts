import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DevCredentials,
  devIdentities,
  ensureDevCredentials,
  main,
  REPO_ROOT,
  runScenario,
  type ServiceProcess,
  serviceEnv,
  spawnService,
} from '@twincontour/cli';
import {
  addZk,
  devInit,
  loadSigner,
  loadTrustStore,
  verifyEnvelope,
  verifyZks,
  wrapEnvelope,
} from '@twincontour/crypto';
import { opensslVerifyEnvelope } from '@twincontour/crypto/testing';
import {
  createTestDatabase,
  createTestRedis,
  parseBoundaryPayload,
  type TestDatabase,
  type TestRedis,
} from '@twincontour/platform';
import { orderToEd101, type PaymentOrder, writeEd101, xsdValidate } from '@twincontour/ufebs';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// 802-П прил. 1.1–1.4, пп. 10, 14.3 end to end: formation, control, transport and the Bank of Russia
// simulator as separate processes, each with its own database; formation↔control and control↔transport
// share only their boundary Redis (here one server, separate prefixes).

let work: string;
let pkiDir: string;
let credentials: DevCredentials;
let formationDb: TestDatabase;
let controlDb: TestDatabase;
let redis: TestRedis;
let transportDb: TestDatabase;
let simulatorDb: TestDatabase;
let formation: ServiceProcess;
let control: ServiceProcess;
let transport: ServiceProcess;
let simulator: ServiceProcess;
/** Every stage webhook formation posted, as received. */
const hooks: { orderId: string; stage: string; signatureOk: boolean }[] = [];
let hookServer: Server;
let hookSecret = '';
let c2t: Queue;

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

function scenario(name: 'happy' | 'mismatch' | 'duplicate' | 'missing-source') {
  return runScenario(name, {
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

interface Received {
  ed: { edNo: string; edDate: string; edAuthor: string };
  path: string;
  state: string;
  ctrlCode: string;
}

async function received(): Promise<Received[]> {
  const answer = await fetch(`${simulator.url}/v1/received?limit=500`, {
    headers: { authorization: `ApiKey ${credentials['cbr-simulator'].ops!.key}` },
  });
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { items: Received[] }).items;
}

/** The job control put on c2t for an order, if any. */
async function c2tJob(orderId: string) {
  const job = await c2t.getJob(`c2t-${orderId}`);
  if (!job) return undefined;
  const payload = parseBoundaryPayload('c2t', job.data);
  if (!payload.ok) throw new Error(JSON.stringify(payload.errors));
  return payload.value;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tc-e2e-'));
  pkiDir = join(work, 'pki');
  const pki = await devInit(pkiDir);
  if (!pki.ok) throw new Error(pki.message);
  credentials = ensureDevCredentials(join(work, 'credentials.json'));
  [formationDb, controlDb, transportDb, simulatorDb, redis] = await Promise.all([
    createTestDatabase(),
    createTestDatabase(),
    createTestDatabase(),
    createTestDatabase(),
    createTestRedis(),
  ]);
  hookServer = createHttpServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const header = String(request.headers['x-twincontour-signature'] ?? '');
      const t = /t=(\d+)/.exec(header)?.[1] ?? '';
      const v1 = /v1=([0-9a-f]+)/.exec(header)?.[1] ?? '';
      const expected = createHmac('sha256', hookSecret).update(`${t}.${body}`).digest('hex');
      const event = JSON.parse(body) as { orderId: string; stage: string };
      hooks.push({ orderId: event.orderId, stage: event.stage, signatureOk: v1 === expected });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  const identities = devIdentities(credentials);
  const common = {
    pkiDir,
    redisUrl: `redis://${redis.connection.host}:${redis.connection.port}`,
    queuePrefix: redis.prefix,
    identities,
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
      databaseUrl: simulatorDb.connectionString,
      extra: {
        ...quiet,
        TWINCONTOUR_SIM_HOST: '127.0.0.1',
        TWINCONTOUR_SIM_PORT: String(mtlsPort),
        TWINCONTOUR_SIM_STORE_DIR: join(work, 'cbr-received'),
        TWINCONTOUR_SIM_ED206_DELAY_MS: '200',
      },
    }),
  );
  [formation, control, transport] = await Promise.all([
    spawnService(
      'formation',
      serviceEnv({
        ...common,
        service: 'formation',
        port: fPort,
        databaseUrl: formationDb.connectionString,
        extra: {
          ...quiet,
          TWINCONTOUR_WEBHOOK_KEY: randomBytes(32).toString('base64'),
          TWINCONTOUR_WEBHOOK_BACKOFF_BASE_MS: '100',
        },
      }),
    ),
    spawnService(
      'control',
      serviceEnv({
        ...common,
        service: 'control',
        port: cPort,
        databaseUrl: controlDb.connectionString,
        extra: { ...quiet, TWINCONTOUR_SOURCE_WAIT_MS: '3000' },
      }),
    ),
    spawnService(
      'transport',
      serviceEnv({
        ...common,
        service: 'transport',
        port: tPort,
        databaseUrl: transportDb.connectionString,
        extra: { ...quiet, TWINCONTOUR_PEER_URL: `https://127.0.0.1:${mtlsPort}`, TWINCONTOUR_ANSWER_POLL_MS: '200' },
      }),
    ),
  ]);
  const hookAddress = hookServer.address() as AddressInfo;
  const subscribed = await fetch(`${formation.url}/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `ApiKey ${credentials.formation.backoffice!.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `http://127.0.0.1:${hookAddress.port}/hooks` }),
  });
  expect(subscribed.status).toBe(201);
  hookSecret = ((await subscribed.json()) as { secret: string }).secret;
  c2t = new Queue('c2t', { connection: redis.connection, prefix: `${redis.prefix}-c2t` });
});

afterAll(async () => {
  await c2t?.close();
  await Promise.all([formation?.stop(), control?.stop(), transport?.stop()]);
  await simulator?.stop();
  await new Promise((r) => hookServer?.close(r));
  // The services' queues live under `<prefix>-f2c:` and `<prefix>-c2t:`.
  for (const pattern of [`${redis.prefix}-*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.redis.del(...keys);
    } while (cursor !== '0');
  }
  await Promise.all([
    formationDb?.drop(),
    controlDb?.drop(),
    transportDb?.drop(),
    simulatorDb?.drop(),
    redis?.cleanup(),
  ]);
  rmSync(work, { recursive: true, force: true });
});

describe('the gateway end to end: formation, control, transport, the Bank of Russia simulator', () => {
  it('happy: executed; the simulator holds exactly one ED with two valid ЗК and a valid КА; the webhook got every stage in order', async () => {
    const result = await scenario('happy');
    const stages = [
      'accepted',
      'formed',
      'signed-by-formation',
      'controlled',
      'signed-by-control',
      'sent',
      'accepted-by-cbr',
      'executed',
    ];
    expect(result.status, JSON.stringify(result.stages)).toBe('executed');
    expect(result.stages.map((s) => s.stage)).toEqual(stages);

    const order = (await (
      await fetch(`${formation.url}/v1/payment-orders/${result.orderId}`, {
        headers: { authorization: `ApiKey ${credentials.formation.backoffice!.key}` },
      })
    ).json()) as { ed: { edNo: string; edDate: string; edAuthor: string } };
    const mine = (await received()).filter(
      (r) => r.ed.edNo === order.ed.edNo && r.ed.edDate === order.ed.edDate && r.ed.edAuthor === order.ed.edAuthor,
    );
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ state: 'executed', ctrlCode: '0000' });
    expect(result.envelopePath).toBe(mine[0]!.path);

    const envelope = readFileSync(mine[0]!.path);
    const trust = await loadTrustStore(pkiDir);
    if (!trust.ok) throw new Error(trust.message);
    try {
      const ka = await verifyEnvelope(envelope, { validator: trust.value, expectedContours: ['control'] });
      expect(ka.ok, JSON.stringify(ka)).toBe(true);
      if (!ka.ok) return;
      const zks = await verifyZks(ka.file, { validator: trust.value, expectedContours: ['formation', 'control'] });
      expect(zks.ok, JSON.stringify(zks)).toBe(true);
      expect((await xsdValidate(ka.file)).ok).toBe(true);

      // The CLI and OpenSSL, independently: both ЗК over the normalized ED, the КА over the file.
      const edPath = join(work, `${result.orderId}.xml`);
      writeFileSync(edPath, ka.file);
      const out: string[] = [];
      const code = await main(['ed', 'verify', edPath, '--pki', pkiDir, '--contours', 'formation,control'], {
        stdout: (c) => out.push(Buffer.from(c).toString()),
        stderr: () => {},
        cwd: work,
        env: {},
      });
      expect(code, out.join('')).toBe(0);
      // Two ЗК over the normalized ED, then the КА over the file.
      const checks = opensslVerifyEnvelope(envelope, pkiDir, mkdtempSync(join(work, 'openssl-')));
      expect(checks).toHaveLength(3);
      for (const r of checks) expect(r.status, r.output).toBe(0);
    } finally {
      trust.value.close();
    }

    // The back office's webhook: every stage, in order, each correctly signed.
    const deadline = Date.now() + 20_000;
    const mineHooks = () => hooks.filter((h) => h.orderId === result.orderId);
    while (mineHooks().length < stages.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(mineHooks().map((h) => h.stage)).toEqual(stages);
    expect(mineHooks().every((h) => h.signatureOk)).toBe(true);
  });

  it.each([
    ['mismatch', 'CTL_MISMATCH'],
    ['duplicate', 'CTL_DUPLICATE_PAYMENT'],
    ['missing-source', 'CTL_SOURCE_MISSING'],
  ] as const)('%s: control refuses with %s and hands nothing on', async (name, code) => {
    const result = await scenario(name);
    expect(result.status, JSON.stringify(result.stages)).toBe('rejected-by-control');
    expect(result.code).toBe(code);
    expect(await c2tJob(result.orderId)).toBeUndefined();
    const order = (await (
      await fetch(`${formation.url}/v1/payment-orders/${result.orderId}`, {
        headers: { authorization: `ApiKey ${credentials.formation.backoffice!.key}` },
      })
    ).json()) as { ed: { edNo: string } };
    expect((await received()).some((r) => r.ed.edNo === order.ed.edNo && r.ed.edAuthor === '4525545000')).toBe(false);
    if (name === 'mismatch') {
      const refusal = result.stages.at(-1)!;
      expect(refusal.diff?.map((d) => d.field)).toEqual(expect.arrayContaining(['sum', 'payee.name']));
    }
  });

  it.each([
    ['without a control ЗК', ['formation'], 'SIG_MISSING_CONTOUR'],
    ['with two ЗК from the formation contour', ['formation', 'formation'], 'SIG_SAME_CERTIFICATE'],
  ] as const)(
    'transport refuses a file put into c2t %s, and it never reaches the simulator',
    async (_name, contours, code) => {
      const order = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', 'payment-order.json'), 'utf8')) as PaymentOrder;
      const ed = {
        edNo: String(900_000_000 + Math.floor(Math.random() * 99_999_999)),
        edDate: '2026-11-24',
        edAuthor: '4525545000',
      };
      const written = writeEd101(orderToEd101(order, ed));
      if (!written.ok) throw new Error(written.message);
      let bytes = written.value;
      for (const contour of contours) {
        const signer = await loadSigner(contour, { pkiDir });
        if (!signer.ok) throw new Error(signer.message);
        const signed = await addZk(bytes, signer.value);
        if (!signed.ok) throw new Error(signed.message);
        bytes = signed.value;
      }
      const controlSigner = await loadSigner('control', { pkiDir });
      if (!controlSigner.ok) throw new Error(controlSigner.message);
      const envelope = await wrapEnvelope(bytes, controlSigner.value);
      const orderId = randomUUID();
      const payload = {
        type: 'ed.controlled',
        version: 1,
        messageId: `c2t-${orderId}`,
        orderId,
        ed,
        envelopeBase64: Buffer.from(envelope).toString('base64'),
        controlledAt: new Date().toISOString(),
      };
      await c2t.add('ed.controlled', payload, { jobId: payload.messageId });

      let state: { state?: string; code?: string; reason?: string } = {};
      const deadline = Date.now() + 20_000;
      while (state.state !== 'rejected' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        const answer = await fetch(`${transport.url}/v1/messages/${orderId}`, {
          headers: { authorization: `ApiKey ${credentials.transport.ops!.key}` },
        });
        if (answer.status === 200) state = (await answer.json()) as typeof state;
      }
      expect(state.state, JSON.stringify(state)).toBe('rejected');
      expect(`${state.code} ${state.reason}`).toContain(code);
      expect((await received()).some((r) => r.ed.edNo === ed.edNo)).toBe(false);
    },
  );

  it('keeps the contours’ staff apart: a control identity is refused by formation and vice versa', async () => {
    const onFormation = await fetch(`${formation.url}/v1/payment-orders`, {
      headers: { authorization: `ApiKey ${credentials.control.backoffice!.key}` },
    });
    expect(onFormation.status).toBe(403);
    expect(((await onFormation.json()) as { code: string }).code).toBe('AUTH_WRONG_CONTOUR');
    const onControl = await fetch(`${control.url}/v1/source-documents`, {
      method: 'POST',
      headers: { authorization: `ApiKey ${credentials.formation.backoffice!.key}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(onControl.status).toBe(403);
    expect(((await onControl.json()) as { code: string }).code).toBe('AUTH_WRONG_CONTOUR');
  });
});
