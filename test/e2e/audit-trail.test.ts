import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent, AuditVerification } from '@twincontour/audit';
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

// Issue 6 end to end: one payment's audit trail across the three contours' logs (802-П п. 14: who
// signed or checked what, when, with which key), read with `twincontour audit trail`, every chain and
// checkpoint verified with `twincontour audit verify`, and the security-officer API of each service.
// The four services run as separate processes, each with its own database.

const CONTOURS = ['formation', 'control', 'transport'] as const;
type Contour = (typeof CONTOURS)[number];

let work: string;
let pkiDir: string;
let credentials: DevCredentials;
let redis: TestRedis;
const dbs = {} as Record<Contour | 'simulator', TestDatabase>;
const services = {} as Record<Contour | 'simulator', ServiceProcess>;

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

/** Runs `twincontour ARGV…` in this process against the test databases; returns its exit code and output. */
async function twincontour(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const env: Record<string, string | undefined> = {
    ...process.env,
    TWINCONTOUR_TRUST_DIR: pkiDir,
    TWINCONTOUR_AUDIT_CHECKPOINT_MS: '1000',
  };
  for (const contour of CONTOURS) {
    env[`TWINCONTOUR_AUDIT_DATABASE_URL_${contour.toUpperCase()}`] = dbs[contour].connectionString;
  }
  const code = await main(argv, {
    stdout: (chunk) => {
      stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    },
    stderr: (chunk) => {
      stderr += chunk;
    },
    cwd: work,
    env,
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tc-e2e-audit-'));
  pkiDir = join(work, 'pki');
  const pki = await devInit(pkiDir);
  if (!pki.ok) throw new Error(pki.message);
  credentials = ensureDevCredentials(join(work, 'credentials.json'));
  [dbs.formation, dbs.control, dbs.transport, dbs.simulator, redis] = await Promise.all([
    createTestDatabase(),
    createTestDatabase(),
    createTestDatabase(),
    createTestDatabase(),
    createTestRedis(),
  ]);
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
  // Checkpoints every second, so the run ends with signed heads in every log.
  const quiet = { TWINCONTOUR_LOG_LEVEL: 'warn', TWINCONTOUR_AUDIT_CHECKPOINT_MS: '1000' };
  services.simulator = await spawnService(
    'cbr-simulator',
    serviceEnv({
      ...common,
      service: 'cbr-simulator',
      port: sPort,
      databaseUrl: dbs.simulator.connectionString,
      extra: {
        TWINCONTOUR_LOG_LEVEL: 'warn',
        TWINCONTOUR_SIM_HOST: '127.0.0.1',
        TWINCONTOUR_SIM_PORT: String(mtlsPort),
        TWINCONTOUR_SIM_STORE_DIR: join(work, 'cbr-received'),
        TWINCONTOUR_SIM_ED206_DELAY_MS: '200',
      },
    }),
  );
  [services.formation, services.control, services.transport] = await Promise.all([
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
    spawnService(
      'transport',
      serviceEnv({
        ...common,
        service: 'transport',
        port: tPort,
        databaseUrl: dbs.transport.connectionString,
        extra: { ...quiet, TWINCONTOUR_PEER_URL: `https://127.0.0.1:${mtlsPort}`, TWINCONTOUR_ANSWER_POLL_MS: '200' },
      }),
    ),
  ]);
});

afterAll(async () => {
  await Promise.all(CONTOURS.map((c) => services[c]?.stop()));
  await services.simulator?.stop();
  let cursor = '0';
  do {
    const [next, keys] = await redis.redis.scan(cursor, 'MATCH', `${redis.prefix}-*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.redis.del(...keys);
  } while (cursor !== '0');
  await Promise.all([...Object.values(dbs).map((db) => db?.drop()), redis?.cleanup()]);
  rmSync(work, { recursive: true, force: true });
});

/** The trail as `twincontour audit trail ORDER_ID --json` prints it. */
async function trail(orderId: string): Promise<AuditEvent[]> {
  const run = await twincontour(['audit', 'trail', orderId, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return (JSON.parse(run.stdout) as { events: AuditEvent[] }).events;
}

/** A short name of an event: contour, type, result, and which signature or answer. */
function label(e: AuditEvent): string {
  const d = (e.details ?? {}) as { signature?: string; expectedContour?: string; kind?: string; ctrlCode?: string };
  const what = d.kind ? `${d.kind}${d.ctrlCode ? ` ${d.ctrlCode}` : ''}` : (d.signature ?? '');
  const of = e.type === 'signature.checked' && d.expectedContour ? ` of ${d.expectedContour}` : '';
  return `${e.contour} ${e.type} ${e.result}${what ? ` ${what}` : ''}${of}`.trim();
}

/** The position of each expected label in order (each after the previous), or the first missing one. */
function inOrder(labels: string[], expected: string[]): { missing?: string } {
  let at = 0;
  for (const want of expected) {
    const i = labels.indexOf(want, at);
    if (i < 0) return { missing: want };
    at = i + 1;
  }
  return {};
}

const PAYMENT_TRAIL = [
  'formation signature.made info ЗК',
  'control signature.checked pass ЗК of formation',
  'control control.decision pass',
  'control signature.made info ЗК',
  'control signature.made info КА',
  'transport signature.checked pass КА of control',
  'transport signature.checked pass ЗК of formation',
  'transport signature.checked pass ЗК of control',
  'transport message.delivered info',
  'transport signature.checked pass КА of cbr',
  'transport signature.checked pass ЗК of cbr',
  'transport answer.received pass ED201 0000',
  'transport signature.checked pass КА of cbr',
  'transport signature.checked pass ЗК of cbr',
  'transport answer.received pass ED206',
];

describe('the audit trail of one payment across the three contours', () => {
  it('lists the formation ЗК, control’s check, decision, ЗК and КА, transport’s checks, the delivery and each answer, in order', async () => {
    const result = await runScenario('happy', {
      formationUrl: services.formation.url,
      controlUrl: services.control.url,
      transportUrl: services.transport.url,
      simulatorUrl: services.simulator.url,
      simulatorKey: credentials['cbr-simulator'].ops!.key,
      formationKey: credentials.formation.backoffice!.key,
      controlKey: credentials.control.backoffice!.key,
      timeoutMs: 60_000,
    });
    expect(result.status, JSON.stringify(result.stages)).toBe('executed');

    // The chainers link what the services recorded within a fraction of a second; wait for the last answer.
    let events: AuditEvent[] = [];
    const deadline = Date.now() + 20_000;
    do {
      events = await trail(result.orderId);
      if (inOrder(events.map(label), PAYMENT_TRAIL).missing === undefined) break;
      await new Promise((r) => setTimeout(r, 250));
    } while (Date.now() < deadline);
    const labels = events.map(label);
    expect(inOrder(labels, PAYMENT_TRAIL), labels.join('\n')).toEqual({});
    // Nothing failed on the way, and the trail is in time order.
    expect(events.filter((e) => e.result === 'fail').map(label)).toEqual([]);
    const times = events.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    // One digest runs from formation's ЗК through control's check and ЗК to transport's checks of both ЗК:
    // the normalized ED every ЗК signs.
    const zkDigests = events
      .filter((e) => (e.details as { signature?: string } | null)?.signature === 'ЗК' && e.contour !== 'transport')
      .map((e) => e.digest);
    const transportZk = events
      .filter(
        (e) =>
          e.contour === 'transport' &&
          (e.details as { expectedContour?: string } | null)?.expectedContour !== 'cbr' &&
          (e.details as { signature?: string } | null)?.signature === 'ЗК',
      )
      .map((e) => e.digest);
    expect(new Set([...zkDigests, ...transportZk]).size).toBe(1);
    expect(zkDigests[0]).toMatch(/^[0-9a-f]{64}$/);
    // Who signed: formation's ЗК by formation's certificate, which control and transport checked.
    const formationZk = events.find((e) => label(e) === 'formation signature.made info ЗК');
    const checkedByControl = events.find((e) => label(e) === 'control signature.checked pass ЗК of formation');
    expect(checkedByControl?.certificate).toEqual(formationZk?.certificate);
    const controlKa = events.find((e) => label(e) === 'control signature.made info КА');
    const kaChecked = events.find((e) => label(e) === 'transport signature.checked pass КА of control');
    expect(kaChecked?.certificate).toEqual(controlKa?.certificate);
    expect(kaChecked?.digest).toBe(controlKa?.digest);
    const human = await twincontour(['audit', 'trail', result.orderId]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`audit trail of order ${result.orderId}`);
  });

  it('answers the security-officer API of each service: 403 to an ops key, 200 to the security officer', async () => {
    for (const contour of CONTOURS) {
      const url = `${services[contour].url}/v1/audit/events?type=key.loaded`;
      const ops = await fetch(url, { headers: { authorization: `ApiKey ${credentials[contour].ops!.key}` } });
      expect(ops.status, contour).toBe(403);
      const officer = await fetch(url, {
        headers: { authorization: `ApiKey ${credentials[contour]['security-officer']!.key}` },
      });
      expect(officer.status, contour).toBe(200);
      const { events } = (await officer.json()) as { events: AuditEvent[] };
      // Each service recorded the key it loaded at start, with the certificate's serial, issuer and thumbprint.
      expect(events[0], contour).toMatchObject({ contour, type: 'key.loaded', result: 'pass' });
      expect(events[0]?.certificate?.thumbprint, contour).toMatch(/^[0-9a-f]{64}$/);
      const verified = await fetch(`${services[contour].url}/v1/audit/verify`, {
        method: 'POST',
        headers: { authorization: `ApiKey ${credentials[contour]['security-officer']!.key}` },
      });
      expect(verified.status, contour).toBe(200);
    }
    // The ops request refused above is itself an audit event.
    await new Promise((r) => setTimeout(r, 500));
    const refused = await fetch(`${services.transport.url}/v1/audit/events?type=auth.failed`, {
      headers: { authorization: `ApiKey ${credentials.transport['security-officer']!.key}` },
    });
    const { events } = (await refused.json()) as { events: AuditEvent[] };
    expect(events.at(-1)).toMatchObject({ actor: 'dev-transport-ops', reason: 'AUTH_FORBIDDEN' });
  });

  it('`twincontour audit verify` exits 0 for the three contours once the services stopped', async () => {
    // A graceful stop chains what is left and signs the head (the last checkpoint).
    for (const contour of CONTOURS) expect(await services[contour].stop(), contour).toBe(0);
    const run = await twincontour(['audit', 'verify', '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { ok: boolean; results: (AuditVerification & { source: string })[] };
    expect(report.ok).toBe(true);
    expect(report.results.map((r) => [r.source, r.ok])).toEqual(CONTOURS.map((c) => [c, true]));
    for (const r of report.results) {
      expect(r.events, r.source).toBeGreaterThan(0);
      expect(r.checkpoints, r.source).toBeGreaterThan(0);
    }
  });
});
