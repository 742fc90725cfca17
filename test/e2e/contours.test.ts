import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { devInit, loadTrustStore, readDevLayout, verifyEnvelope, verifyZks } from '@twincontour/crypto';
import {
  createTestDatabase,
  createTestRedis,
  parseBoundaryPayload,
  type TestDatabase,
  type TestRedis,
} from '@twincontour/platform';
import { normalizeEd, xsdValidate } from '@twincontour/ufebs';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// 802-П прил. 1.1–1.4 end to end: formation and control as separate processes, each with its own
// database, sharing only the f2c/c2f boundary Redis; what control hands on is read from the real c2t queue.

let work: string;
let pkiDir: string;
let credentials: DevCredentials;
let formationDb: TestDatabase;
let controlDb: TestDatabase;
let redis: TestRedis;
let formation: ServiceProcess;
let control: ServiceProcess;
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
    formationKey: credentials.formation.backoffice!.key,
    controlKey: credentials.control.backoffice!.key,
    timeoutMs: 60_000,
  });
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
  [formationDb, controlDb, redis] = await Promise.all([createTestDatabase(), createTestDatabase(), createTestRedis()]);
  const common = {
    pkiDir,
    redisUrl: `redis://${redis.connection.host}:${redis.connection.port}`,
    queuePrefix: redis.prefix,
  };
  [formation, control] = await Promise.all([
    freePort().then((port) =>
      spawnService(
        'formation',
        serviceEnv({
          ...common,
          service: 'formation',
          port,
          databaseUrl: formationDb.connectionString,
          identities: devIdentities(credentials),
          extra: { TWINCONTOUR_LOG_LEVEL: 'warn', TWINCONTOUR_WEBHOOK_KEY: randomBytes(32).toString('base64') },
        }),
      ),
    ),
    freePort().then((port) =>
      spawnService(
        'control',
        serviceEnv({
          ...common,
          service: 'control',
          port,
          databaseUrl: controlDb.connectionString,
          identities: devIdentities(credentials),
          extra: { TWINCONTOUR_LOG_LEVEL: 'warn', TWINCONTOUR_SOURCE_WAIT_MS: '3000' },
        }),
      ),
    ),
  ]);
  c2t = new Queue('c2t', { connection: redis.connection, prefix: `${redis.prefix}-c2t` });
});

afterAll(async () => {
  await c2t?.close();
  await Promise.all([formation?.stop(), control?.stop()]);
  // The services' queues live under `<prefix>-f2c:` and `<prefix>-c2t:`.
  for (const pattern of [`${redis.prefix}-*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.redis.del(...keys);
    } while (cursor !== '0');
  }
  await Promise.all([formationDb?.drop(), controlDb?.drop(), redis?.cleanup()]);
  rmSync(work, { recursive: true, force: true });
});

describe('formation and control, end to end', () => {
  it('happy: the order ends with both ЗК and the КА, which ed verify and openssl cms -verify accept', async () => {
    const result = await scenario('happy');
    expect(result.status, JSON.stringify(result.stages)).toBe('signed-by-control');
    expect(result.stages.map((s) => s.stage)).toEqual([
      'accepted',
      'formed',
      'signed-by-formation',
      'controlled',
      'signed-by-control',
    ]);

    const job = await c2tJob(result.orderId);
    expect(job).toBeDefined();
    const envelope = Buffer.from(job!.envelopeBase64, 'base64');
    const trust = await loadTrustStore(pkiDir);
    if (!trust.ok) throw new Error(trust.message);
    try {
      const ka = await verifyEnvelope(envelope, { validator: trust.value, expectedContours: ['control'] });
      expect(ka.ok, JSON.stringify(ka)).toBe(true);
      if (!ka.ok) return;
      const zks = await verifyZks(ka.file, { validator: trust.value, expectedContours: ['formation', 'control'] });
      expect(zks.ok, JSON.stringify(zks)).toBe(true);
      expect((await xsdValidate(ka.file)).ok).toBe(true);

      // The CLI and OpenSSL, independently.
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
      const normalized = normalizeEd(ka.file);
      if (!normalized.ok) throw new Error(normalized.code);
      writeFileSync(`${edPath}.n`, normalized.value);
      const layout = readDevLayout(pkiDir);
      if (!layout.ok) throw new Error(layout.message);
      const ca = join(pkiDir, layout.value.ca.certificate);
      const values = [
        ...Buffer.from(ka.file)
          .toString('latin1')
          .matchAll(/<dsig:SigValue[^>]*>([^<]+)<\/dsig:SigValue>/g),
      ].map((m) => m[1]!);
      expect(values).toHaveLength(2);
      for (const [i, b64] of values.entries()) {
        writeFileSync(`${edPath}.${i}.der`, Buffer.from(b64, 'base64'));
        const r = spawnSync(
          'openssl',
          [
            'cms',
            '-verify',
            '-binary',
            '-inform',
            'DER',
            '-in',
            `${edPath}.${i}.der`,
            '-content',
            `${edPath}.n`,
            '-CAfile',
            ca,
            '-purpose',
            'any',
            '-out',
            '/dev/null',
          ],
          { encoding: 'utf8' },
        );
        expect(r.status, r.stderr).toBe(0);
      }
    } finally {
      trust.value.close();
    }
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
    if (name === 'mismatch') {
      const refusal = result.stages.at(-1)!;
      expect(refusal.diff?.map((d) => d.field)).toEqual(expect.arrayContaining(['sum', 'payee.name']));
    }
  });

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
