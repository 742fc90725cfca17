import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, createTestRedis } from './testing.js';

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? 'postgres',
    database: 'postgres',
  });
  await client.connect();
  try {
    const result = await client.query('select 1 from pg_database where datname = $1', [name]);
    return result.rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('createTestDatabase', () => {
  it('creates a fresh database with a working pool and drops it, even with a connection left open', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.name).toMatch(/^tc_test_[0-9a-f]{12}$/);
      expect(a.name).not.toBe(b.name);
      const { rows } = await a.pool.query('select current_database() as db');
      expect(rows[0].db).toBe(a.name);
      expect(await databaseExists(a.name)).toBe(true);
      const straggler = new pg.Client({ connectionString: a.connectionString });
      await straggler.connect();
      straggler.on('error', () => {});
      await a.drop();
      await a.drop();
      expect(await databaseExists(a.name)).toBe(false);
    } finally {
      await b.drop();
    }
    expect(await databaseExists(b.name)).toBe(false);
  });
});

describe('createTestRedis', () => {
  it('gives a unique prefix and deletes only its own keys', async () => {
    const mine = await createTestRedis();
    const other = await createTestRedis();
    try {
      expect(mine.prefix).not.toBe(other.prefix);
      for (let i = 0; i < 1200; i++) await mine.redis.set(`${mine.prefix}:k${i}`, '1');
      await other.redis.set(`${other.prefix}:keep`, '1');
      expect(await mine.deleteKeys()).toBe(1200);
      expect(await mine.redis.exists(`${mine.prefix}:k0`)).toBe(0);
      expect(await other.redis.get(`${other.prefix}:keep`)).toBe('1');
    } finally {
      await mine.cleanup();
      await other.cleanup();
    }
    const check = await createTestRedis();
    try {
      expect(await check.redis.exists(`${other.prefix}:keep`)).toBe(0);
    } finally {
      await check.cleanup();
    }
  });
});
