import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Pool } from './db.js';
import { type FieldError, fail, ok, type Result } from './result.js';

/** The platform's own migrations (outbox, processed messages); every service applies them with scope `platform`. */
export const PLATFORM_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

/** One migration file. */
export interface Migration {
  version: number;
  name: string;
  /** SHA-256 of the file's bytes, hex. */
  checksum: string;
  sql: string;
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  pool: Pool;
  /** Folder of `NNNN_name.sql` files. */
  dir: string;
  /**
   * Which numbering the folder belongs to: `app` (default) for the service's own migrations, `platform`
   * for {@link PLATFORM_MIGRATIONS_DIR}. Each scope counts from 0001 independently in one table.
   */
  scope?: string;
  logger?: Logger;
}

/** What a successful run did. */
export interface MigrateReport {
  /** File names applied by this run, in order. */
  applied: string[];
  /** Highest applied version of the scope after the run (0 when none). */
  current: number;
}

const FILE_NAME = /^(\d{4})_([a-z0-9][a-z0-9_]*)\.sql$/;

/** Advisory lock key shared by every migrating process (two int4 halves of SHA-256 of a constant). */
const LOCK_KEY = (() => {
  const digest = createHash('sha256').update('twincontour:schema_migrations').digest();
  return [digest.readInt32BE(0), digest.readInt32BE(4)] as const;
})();

/**
 * Reads and checks a migrations folder: every `.sql` file must be `NNNN_name.sql` and numbers must be
 * unique; other files (a README) are ignored. Returns every problem at once.
 */
export async function readMigrations(dir: string): Promise<Result<Migration[]>> {
  const errors: FieldError[] = [];
  const byVersion = new Map<number, Migration>();
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  for (const fileName of names) {
    const match = FILE_NAME.exec(fileName);
    if (!match?.[1] || !match[2]) {
      errors.push({ code: 'DB_MIGRATION_BAD_NAME', path: fileName, message: 'must be named NNNN_name.sql' });
      continue;
    }
    const version = Number(match[1]);
    const bytes = await readFile(join(dir, fileName));
    const migration = {
      version,
      name: fileName,
      checksum: createHash('sha256').update(bytes).digest('hex'),
      sql: bytes.toString('utf8'),
    };
    const other = byVersion.get(version);
    if (other) {
      errors.push({ code: 'DB_MIGRATION_DUPLICATE', path: fileName, message: `has the same number as ${other.name}` });
      continue;
    }
    byVersion.set(version, migration);
  }
  if (errors.length > 0)
    return fail(errors[0]?.code ?? 'DB_MIGRATION_BAD_NAME', 'the migrations folder is invalid', errors);
  return ok([...byVersion.values()].sort((a, b) => a.version - b.version));
}

/**
 * Applies pending migrations of one scope, in order, each in its own transaction, and records each in
 * `schema_migrations` with its checksum. Refuses to run (nothing applied) when an applied file changed
 * (`DB_MIGRATION_CHANGED`) or disappeared (`DB_MIGRATION_MISSING`). A failing migration is rolled back
 * and reported (`DB_MIGRATION_FAILED`); the ones before it stay applied.
 *
 * Safe when several processes start at once: a session advisory lock serializes them, and each one
 * re-reads what is applied after taking it. Files must not contain their own BEGIN/COMMIT (and so
 * cannot use `CREATE INDEX CONCURRENTLY`).
 */
export async function migrate(options: MigrateOptions): Promise<Result<MigrateReport>> {
  const scope = options.scope ?? 'app';
  const files = await readMigrations(options.dir);
  if (!files.ok) return files;
  const client = await options.pool.connect();
  let broken = false;
  try {
    await client.query('select pg_advisory_lock($1, $2)', [LOCK_KEY[0], LOCK_KEY[1]]);
    try {
      await client.query(`create table if not exists schema_migrations (
        scope text not null,
        version integer not null,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now(),
        duration_ms integer not null,
        primary key (scope, version)
      )`);
      const applied = await client.query<{ version: number; name: string; checksum: string }>(
        'select version, name, checksum from schema_migrations where scope = $1 order by version',
        [scope],
      );
      const onDisk = new Map(files.value.map((m) => [m.version, m]));
      const errors: FieldError[] = [];
      for (const row of applied.rows) {
        const file = onDisk.get(row.version);
        if (!file) {
          errors.push({ code: 'DB_MIGRATION_MISSING', path: row.name, message: 'is applied but not in the folder' });
        } else if (file.checksum !== row.checksum) {
          errors.push({ code: 'DB_MIGRATION_CHANGED', path: file.name, message: 'changed after it was applied' });
        }
      }
      if (errors.length > 0) {
        return fail(errors[0]?.code ?? 'DB_MIGRATION_CHANGED', `migrations of scope ${scope} refused`, errors);
      }
      const done = new Set(applied.rows.map((r) => r.version));
      const report: MigrateReport = { applied: [], current: applied.rows.at(-1)?.version ?? 0 };
      for (const migration of files.value) {
        if (done.has(migration.version)) continue;
        const started = Date.now();
        try {
          await client.query('BEGIN');
          await client.query(migration.sql);
          await client.query(
            'insert into schema_migrations (scope, version, name, checksum, duration_ms) values ($1, $2, $3, $4, $5)',
            [scope, migration.version, migration.name, migration.checksum, Date.now() - started],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          const pgError = error as { code?: string; message?: string };
          return fail('DB_MIGRATION_FAILED', `migration ${migration.name} failed`, [
            {
              code: 'DB_MIGRATION_FAILED',
              path: migration.name,
              message: `${pgError.code ?? 'error'}: ${pgError.message ?? String(error)}`,
            },
          ]);
        }
        options.logger?.info({ scope, migration: migration.name, ms: Date.now() - started }, 'migration applied');
        report.applied.push(migration.name);
        report.current = Math.max(report.current, migration.version);
      }
      return ok(report);
    } finally {
      try {
        await client.query('select pg_advisory_unlock($1, $2)', [LOCK_KEY[0], LOCK_KEY[1]]);
      } catch {
        // The session is gone (and its lock with it); this client must not go back to the pool.
        broken = true;
      }
    }
  } finally {
    client.release(broken);
  }
}
