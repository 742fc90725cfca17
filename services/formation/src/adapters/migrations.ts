import { fileURLToPath } from 'node:url';
import { AUDIT_MIGRATIONS_DIR } from '@twincontour/audit';
import { type MigrateReport, migrate, PLATFORM_MIGRATIONS_DIR, type Pool, type Result } from '@twincontour/platform';
import type { Logger } from 'pino';

/** The service's own migrations (orders, stages, idempotency keys, ED counters). */
export const FORMATION_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/**
 * Brings the database up to date: the platform's tables (outbox, processed_messages; scope `platform`),
 * then the service's own (scope `app`), then the audit log's (scope `audit`). Stops at the first scope
 * that fails.
 */
export async function migrateFormation(
  pool: Pool,
  logger?: Logger,
): Promise<Result<{ platform: MigrateReport; app: MigrateReport; audit: MigrateReport }>> {
  const withLogger = logger ? { logger } : {};
  const platform = await migrate({ pool, dir: PLATFORM_MIGRATIONS_DIR, scope: 'platform', ...withLogger });
  if (!platform.ok) return platform;
  const app = await migrate({ pool, dir: FORMATION_MIGRATIONS_DIR, scope: 'app', ...withLogger });
  if (!app.ok) return app;
  const audit = await migrate({ pool, dir: AUDIT_MIGRATIONS_DIR, scope: 'audit', ...withLogger });
  if (!audit.ok) return audit;
  return { ok: true, value: { platform: platform.value, app: app.value, audit: audit.value } };
}
