import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditLog, createAuditLog } from '@twincontour/audit';
import { devInit, loadSigner, loadTrustStore, type Signer, type TrustStore } from '@twincontour/crypto';
import {
  createIdentityRegistry,
  createLogger,
  createTestDatabase,
  createTestRedis,
  hashApiKey,
  type IdentityRegistry,
  type OutboxRelay,
  type TestDatabase,
  type TestRedis,
} from '@twincontour/platform';
import { normalizeEd } from '@twincontour/ufebs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { migrateFormation } from '../adapters/migrations.js';
import { type BoundaryQueues, openBoundaryQueues } from '../adapters/queues.js';
import { createF2cRelay } from '../adapters/relay.js';
import { buildApp, type FormationDeps } from '../app.js';

/**
 * Test fixtures of the formation service over the real PostgreSQL, Redis, xmllint and openssl
 * (STYLE.md, Tests): a throw-away database with the service's migrations, a Redis key prefix of its
 * own, a development PKI made with devInit in a temp dir, identities of every role, and the app.
 * Plain async functions (no vitest import), used from `beforeAll`/`afterAll`.
 */

/** API keys of the test identities. */
export const TEST_KEYS = Object.freeze({
  backoffice: 'tck_test_backoffice_0001',
  backoffice2: 'tck_test_backoffice_0002',
  operator: 'tck_test_operator_0003',
  security: 'tck_test_security_0004',
  ops: 'tck_test_ops_0005',
  controlBackoffice: 'tck_test_control_backoffice_0006',
});

/** `Authorization` header of a test key. */
export const auth = (key: string): { authorization: string } => ({ authorization: `ApiKey ${key}` });

/** Everything a formation test needs. */
export interface FormationFixture {
  readonly db: TestDatabase;
  readonly redis: TestRedis;
  readonly queues: BoundaryQueues;
  readonly pkiDir: string;
  /** A temp dir for files the test writes (openssl inputs). */
  readonly workDir: string;
  readonly signer: Signer;
  readonly trustStore: TrustStore;
  readonly registry: IdentityRegistry;
  /** The webhook sealing key the app was built with. */
  readonly webhookKey: Buffer;
  readonly logger: Logger;
  /** Every log line the service wrote (JSON). */
  readonly logLines: string[];
  /** The service's audit log on the test database (not started: `await audit.flush()` chains what was recorded). */
  readonly audit: AuditLog;
  readonly app: FastifyInstance;
  /** The f2c relay (not started); `redeliverAfterMs` 300 so tests see re-enqueues quickly. */
  readonly relay: OutboxRelay;
  /** Another app on the same database and Redis, with changed dependencies. */
  build(overrides?: Partial<FormationDeps>): Promise<FastifyInstance>;
  /** Deletes every key of the boundary (`<prefix>-f2c:*`), as a Redis that lost its memory. */
  deleteBoundaryKeys(): Promise<number>;
  close(): Promise<void>;
}

/** Creates the fixture; call `close()` after the tests. */
export async function createFormationFixture(): Promise<FormationFixture> {
  const workDir = mkdtempSync(join(tmpdir(), 'tc-formation-'));
  const pkiDir = join(workDir, 'pki');
  const init = await devInit(pkiDir);
  if (!init.ok) throw new Error(`devInit: ${init.code}`);
  const store = await loadTrustStore(pkiDir);
  if (!store.ok) throw new Error(`trust store: ${store.code}`);
  const signer = await loadSigner('formation', { pkiDir });
  if (!signer.ok) throw new Error(`signer: ${signer.code}`);

  const db = await createTestDatabase({ poolMax: 12 });
  const migrated = await migrateFormation(db.pool);
  if (!migrated.ok) throw new Error(`migrate: ${migrated.code} ${JSON.stringify(migrated.errors)}`);
  const redis = await createTestRedis();
  // The boundary prefix is `<queue prefix>-f2c`, as in production (services.md).
  const queues = openBoundaryQueues(redis.connection, redis.prefix);

  const registry = createIdentityRegistry([
    { id: 'bo-1', role: 'backoffice', contour: 'formation', keySha256: hashApiKey(TEST_KEYS.backoffice) },
    { id: 'bo-2', role: 'backoffice', contour: 'formation', keySha256: hashApiKey(TEST_KEYS.backoffice2) },
    { id: 'op-1', role: 'formation-operator', contour: 'formation', keySha256: hashApiKey(TEST_KEYS.operator) },
    { id: 'sec-1', role: 'security-officer', contour: 'formation', keySha256: hashApiKey(TEST_KEYS.security) },
    { id: 'ops-1', role: 'ops', contour: 'formation', keySha256: hashApiKey(TEST_KEYS.ops) },
    { id: 'cbo-1', role: 'backoffice', contour: 'control', keySha256: hashApiKey(TEST_KEYS.controlBackoffice) },
  ]);
  if (!registry.ok) throw new Error('test registry invalid');
  const logLines: string[] = [];
  const logger = createLogger({
    service: 'formation',
    level: 'info',
    destination: { write: (line: string) => void logLines.push(line) },
  });

  // migrateFormation applied the audit migrations too; the log signs its checkpoints with the formation key.
  const audit = createAuditLog({
    pool: db.pool,
    contour: 'formation',
    service: 'formation',
    signer: signer.value,
    validator: store.value,
    logger,
  });

  // A fresh TWINCONTOUR_WEBHOOK_KEY per fixture, as `openssl rand -base64 32` makes one.
  const webhookKey = randomBytes(32);
  const base: FormationDeps = {
    logger,
    pool: db.pool,
    registry: registry.value,
    signer: signer.value,
    trustStore: store.value,
    queues,
    edAuthor: '4525545000',
    webhookKey,
    audit,
  };
  const apps: FastifyInstance[] = [];
  const build = async (overrides: Partial<FormationDeps> = {}) => {
    const app = await buildApp({ ...base, ...overrides });
    apps.push(app);
    return app;
  };
  const app = await build();
  const relay = createF2cRelay({ pool: db.pool, queues, intervalMs: 50, redeliverAfterMs: 300, logger });

  const boundaryPattern = `${queues.prefix}:*`;
  const deleteBoundaryKeys = async (): Promise<number> => {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.redis.scan(cursor, 'MATCH', boundaryPattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  };

  return {
    db,
    redis,
    queues,
    pkiDir,
    workDir,
    signer: signer.value,
    trustStore: store.value,
    registry: registry.value,
    webhookKey,
    logger,
    logLines,
    audit,
    app,
    relay,
    build,
    deleteBoundaryKeys,
    async close() {
      await relay.stop();
      for (const a of apps) await a.close();
      await audit.close();
      await queues.close();
      await deleteBoundaryKeys();
      await redis.cleanup();
      store.value.close();
      await db.drop();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The dev CA certificate path of a PKI made by devInit. */
export function devCaPath(pkiDir: string): string {
  return join(pkiDir, JSON.parse(readFileSync(join(pkiDir, 'trust.json'), 'utf8')).ca.certificate);
}

/**
 * Checks every ЗК of an ED with `openssl cms -verify` (the independent peer, DESIGN.md, Crypto): each
 * ЗК's DER and the normalized ED are written to `dir`, and openssl verifies against the dev CA.
 * Returns openssl's exit status and output per ЗК.
 */
export function opensslVerifyZks(ed: Uint8Array, pkiDir: string, dir: string): { status: number; output: string }[] {
  const normalized = normalizeEd(ed);
  if (!normalized.ok) throw new Error(`normalize: ${normalized.code}`);
  const stamp = `${Date.now()}-${Math.random().toString(16).slice(2)}`;
  const content = join(dir, `${stamp}.normalized.xml`);
  writeFileSync(content, normalized.value);
  const text = Buffer.from(ed).toString('latin1');
  const values = [...text.matchAll(/<dsig:SigValue[^>]*>([^<]+)<\/dsig:SigValue>/g)].map((m) => m[1] ?? '');
  return values.map((b64, i) => {
    const sig = join(dir, `${stamp}.zk${i}.der`);
    writeFileSync(sig, Buffer.from(b64, 'base64'));
    const run = spawnSync(
      'openssl',
      [
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        sig,
        '-content',
        content,
        '-CAfile',
        devCaPath(pkiDir),
        '-purpose',
        'any',
        '-out',
        '/dev/null',
      ],
      { encoding: 'utf8' },
    );
    return { status: run.status ?? 1, output: `${run.stdout}${run.stderr}` };
  });
}

/** An example order of the repository (examples/*.json). */
export function exampleOrder(name: 'payment-order' | 'budget-payment-order'): Record<string, unknown> {
  return JSON.parse(readFileSync(join(import.meta.dirname, '../../../../examples', `${name}.json`), 'utf8'));
}
