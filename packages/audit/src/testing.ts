import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Contour, devInit, loadSigner, loadTrustStore, type Signer, type TrustStore } from '@twincontour/crypto';
import { createLogger, createTestDatabase, migrate, type Pool, type TestDatabase } from '@twincontour/platform';
import type { Logger } from 'pino';
import { AUDIT_MIGRATIONS_DIR, createAuditLog } from './log.js';
import type { AuditLog } from './types.js';

/**
 * Test support (`@twincontour/audit/testing`): an audit log over the real PostgreSQL with the
 * development PKI, as services' tests use it. Plain async functions, no vitest import.
 */

/** Applies the audit migrations to a pool (throws with every problem when they fail). */
export async function migrateAudit(pool: Pool, logger?: Logger): Promise<void> {
  const result = await migrate({ pool, dir: AUDIT_MIGRATIONS_DIR, scope: 'audit', ...(logger ? { logger } : {}) });
  if (!result.ok) throw new Error(`audit migrations: ${result.code} ${JSON.stringify(result.errors)}`);
}

/** Options of {@link createTestAuditLog}. */
export interface TestAuditLogOptions {
  contour: Contour;
  /** Service name in the events; default the contour. */
  service?: string;
  /** Use this pool (migrated here) instead of a new test database; it is not dropped by `close`. */
  pool?: Pool;
  /** Use this development PKI folder (made by `devInit` when incomplete) instead of a temp one. */
  pkiDir?: string;
  checkpointIntervalMs?: number;
  checkpointGraceMs?: number;
  chainIntervalMs?: number;
  batchSize?: number;
  logger?: Logger;
}

/** What {@link createTestAuditLog} made. */
export interface TestAuditLog {
  readonly audit: AuditLog;
  readonly pool: Pool;
  /** The test database, when the helper made one. */
  readonly db: TestDatabase | undefined;
  readonly pkiDir: string;
  readonly signer: Signer;
  readonly trustStore: TrustStore;
  readonly logger: Logger;
  /** Another log on the same database (another process, another contour's key …). */
  another(overrides?: { contour?: Contour; service?: string; signer?: Signer }): AuditLog;
  /** Closes the log(s), the trust store, drops the test database and removes the temp PKI. */
  close(): Promise<void>;
}

/** An audit log (not started) over a fresh migrated test database and a development PKI. */
export async function createTestAuditLog(options: TestAuditLogOptions): Promise<TestAuditLog> {
  const ownPki = options.pkiDir === undefined;
  const pkiDir = options.pkiDir ?? join(mkdtempSync(join(tmpdir(), 'tc-audit-')), 'pki');
  const init = await devInit(pkiDir);
  if (!init.ok) throw new Error(`devInit: ${init.code}`);
  const store = await loadTrustStore(pkiDir);
  if (!store.ok) throw new Error(`trust store: ${store.code}`);
  const signer = await loadSigner(options.contour, { pkiDir });
  if (!signer.ok) throw new Error(`signer: ${signer.code}`);
  const db = options.pool ? undefined : await createTestDatabase({ poolMax: 12 });
  const pool = options.pool ?? (db as TestDatabase).pool;
  const logger = options.logger ?? createLogger({ service: 'audit-test', level: 'error' });
  await migrateAudit(pool, logger);
  const logs: AuditLog[] = [];
  const make = (overrides: { contour?: Contour; service?: string; signer?: Signer } = {}) => {
    const log = createAuditLog({
      pool,
      contour: overrides.contour ?? options.contour,
      service: overrides.service ?? options.service ?? overrides.contour ?? options.contour,
      signer: overrides.signer ?? signer.value,
      validator: store.value,
      logger,
      checkpointIntervalMs: options.checkpointIntervalMs,
      checkpointGraceMs: options.checkpointGraceMs,
      chainIntervalMs: options.chainIntervalMs,
      batchSize: options.batchSize,
    });
    logs.push(log);
    return log;
  };
  const audit = make();
  return {
    audit,
    pool,
    db,
    pkiDir,
    signer: signer.value,
    trustStore: store.value,
    logger,
    another: make,
    async close() {
      for (const log of logs) await log.close();
      store.value.close();
      await db?.drop();
      if (ownPki) rmSync(join(pkiDir, '..'), { recursive: true, force: true });
    },
  };
}
