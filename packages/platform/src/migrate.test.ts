import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPool, withTransaction } from './db.js';
import { migrate, PLATFORM_MIGRATIONS_DIR, readMigrations } from './migrate.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

const dirs: string[] = [];
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tc-migrations-'));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

let db: TestDatabase;
/** A fresh database for each test of the suites that touch PostgreSQL. */
function withDatabase(): void {
  beforeEach(async () => {
    db = await createTestDatabase({ poolMax: 8 });
  });
  afterEach(async () => {
    await db.drop();
  });
}

const FILES = {
  '0001_orders.sql': 'create table orders (id text primary key);',
  '0002_order_amount.sql': 'alter table orders add column amount bigint not null default 0;',
  '0010_statuses.sql': 'create table statuses (id int); insert into statuses values (1), (2);',
  'README.md': 'not a migration',
};

describe('readMigrations', () => {
  it('orders files by number and ignores other files', async () => {
    const result = await readMigrations(folder(FILES));
    expect(result.ok && result.value.map((m) => [m.version, m.name])).toEqual([
      [1, '0001_orders.sql'],
      [2, '0002_order_amount.sql'],
      [10, '0010_statuses.sql'],
    ]);
  });

  it('reports bad names and duplicate numbers at once', async () => {
    const result = await readMigrations(
      folder({ '0001_a.sql': '', '0001_b.sql': '', '1_c.sql': '', '0003_Upper.sql': '', '0004_ok.sql': '' }),
    );
    expect(!result.ok && result.errors?.map((e) => [e.code, e.path])).toEqual([
      ['DB_MIGRATION_DUPLICATE', '0001_b.sql'],
      ['DB_MIGRATION_BAD_NAME', '0003_Upper.sql'],
      ['DB_MIGRATION_BAD_NAME', '1_c.sql'],
    ]);
  });
});

describe('migrate', () => {
  withDatabase();

  it('applies pending files in order, records checksums, and is a no-op the second time', async () => {
    const dir = folder(FILES);
    const first = await migrate({ pool: db.pool, dir });
    expect(first).toEqual({
      ok: true,
      value: { applied: ['0001_orders.sql', '0002_order_amount.sql', '0010_statuses.sql'], current: 10 },
    });
    const rows = await db.pool.query(
      'select scope, version, name, length(checksum) as len from schema_migrations order by version',
    );
    expect(rows.rows).toEqual([
      { scope: 'app', version: 1, name: '0001_orders.sql', len: 64 },
      { scope: 'app', version: 2, name: '0002_order_amount.sql', len: 64 },
      { scope: 'app', version: 10, name: '0010_statuses.sql', len: 64 },
    ]);
    await db.pool.query("insert into orders (id, amount) values ('a', 5)");
    expect(await migrate({ pool: db.pool, dir })).toEqual({ ok: true, value: { applied: [], current: 10 } });

    writeFileSync(join(dir, '0011_more.sql'), 'alter table orders add column note text;');
    expect(await migrate({ pool: db.pool, dir })).toEqual({
      ok: true,
      value: { applied: ['0011_more.sql'], current: 11 },
    });
  });

  it('refuses a changed applied migration and applies nothing', async () => {
    const dir = folder(FILES);
    await migrate({ pool: db.pool, dir });
    writeFileSync(join(dir, '0001_orders.sql'), 'create table orders (id text primary key, x int);');
    writeFileSync(join(dir, '0020_new.sql'), 'create table later (id int);');
    const result = await migrate({ pool: db.pool, dir });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.code).toBe('DB_MIGRATION_CHANGED');
    expect(!result.ok && result.errors?.[0]?.path).toBe('0001_orders.sql');
    const later = await db.pool.query("select to_regclass('later') as t");
    expect(later.rows[0].t).toBeNull();
  });

  it('refuses when an applied migration is missing from the folder', async () => {
    const dir = folder(FILES);
    await migrate({ pool: db.pool, dir });
    unlinkSync(join(dir, '0002_order_amount.sql'));
    const result = await migrate({ pool: db.pool, dir });
    expect(!result.ok && result.errors?.map((e) => [e.code, e.path])).toEqual([
      ['DB_MIGRATION_MISSING', '0002_order_amount.sql'],
    ]);
  });

  it('rolls back a failing migration, keeps the earlier ones, and records nothing for it', async () => {
    const dir = folder({
      '0001_ok.sql': 'create table ok (id int);',
      '0002_bad.sql': 'create table half (id int); select * from no_such_table;',
      '0003_after.sql': 'create table after (id int);',
    });
    const result = await migrate({ pool: db.pool, dir });
    expect(!result.ok && result.code).toBe('DB_MIGRATION_FAILED');
    expect(!result.ok && result.errors?.[0]?.message).toMatch(/^42P01: /);
    const tables = await db.pool.query(
      "select to_regclass('ok') as ok, to_regclass('half') as half, to_regclass('after') as after",
    );
    expect(tables.rows[0]).toEqual({ ok: 'ok', half: null, after: null });
    const recorded = await db.pool.query('select name from schema_migrations');
    expect(recorded.rows).toEqual([{ name: '0001_ok.sql' }]);
  });

  it('applies each migration once when several processes start at once', async () => {
    const dir = folder({
      ...FILES,
      '0003_slow.sql': 'select pg_sleep(0.2); create table counted (id int); insert into counted values (1);',
    });
    // Separate pools stand for separate processes.
    const pools = [0, 1, 2, 3].map(() => createPool({ connectionString: db.connectionString, max: 2 }));
    try {
      const results = await Promise.all(pools.map((pool) => migrate({ pool, dir })));
      expect(results.every((r) => r.ok)).toBe(true);
      const applied = results.flatMap((r) => (r.ok ? r.value.applied : []));
      expect(applied.sort()).toEqual([
        '0001_orders.sql',
        '0002_order_amount.sql',
        '0003_slow.sql',
        '0010_statuses.sql',
      ]);
      const counted = await db.pool.query('select count(*)::int as n from counted');
      expect(counted.rows[0].n).toBe(1);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it('keeps scopes apart: the platform migrations and a service numbering both start at 0001', async () => {
    const platform = await migrate({ pool: db.pool, dir: PLATFORM_MIGRATIONS_DIR, scope: 'platform' });
    const app = await migrate({ pool: db.pool, dir: folder(FILES) });
    expect(platform.ok && platform.value.applied).toEqual(['0001_outbox.sql', '0002_processed_messages.sql']);
    expect(app.ok && app.value.current).toBe(10);
    const outbox = await db.pool.query("select to_regclass('outbox') as t, to_regclass('processed_messages') as p");
    expect(outbox.rows[0]).toEqual({ t: 'outbox', p: 'processed_messages' });
  });
});

describe('withTransaction', () => {
  withDatabase();

  it('commits on success and rolls back on error', async () => {
    await db.pool.query('create table t (v int)');
    const value = await withTransaction(db.pool, async (client) => {
      await client.query('insert into t values (1)');
      return 'done';
    });
    expect(value).toBe('done');
    await expect(
      withTransaction(db.pool, async (client) => {
        await client.query('insert into t values (2)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const rows = await db.pool.query('select v from t');
    expect(rows.rows).toEqual([{ v: 1 }]);
    expect(db.pool.idleCount + db.pool.waitingCount).toBe(db.pool.totalCount);
  });

  it('retries a serialization failure when asked to', async () => {
    await db.pool.query('create table c (id int primary key, n int); insert into c values (1, 0)');
    let attempts = 0;
    // Two serializable transactions read then write the same row; one must fail with 40001 and is retried.
    const bump = () =>
      withTransaction(
        db.pool,
        async (client) => {
          attempts++;
          const { rows } = await client.query('select n from c where id = 1');
          await new Promise((r) => setTimeout(r, 50));
          await client.query('update c set n = $1 where id = 1', [rows[0].n + 1]);
        },
        { isolation: 'serializable', retries: 3 },
      );
    await Promise.all([bump(), bump()]);
    const { rows } = await db.pool.query('select n from c where id = 1');
    expect(rows[0].n).toBe(2);
    expect(attempts).toBeGreaterThan(2);
  });
});
