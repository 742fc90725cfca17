import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createPool, type Pool } from './db.js';
import type { RedisConnection } from './queue.js';

/**
 * Test fixtures over the real PostgreSQL and Redis (STYLE.md, Tests: no mocks of the database or the
 * queue). Plain async functions, so they fit vitest's `beforeAll`/`afterAll` or `test.extend` without this
 * package importing vitest. Connection settings come from the usual variables: PGHOST, PGPORT, PGUSER,
 * PGPASSWORD (default 127.0.0.1:5432, user postgres) and REDIS_HOST, REDIS_PORT (default 127.0.0.1:6379).
 */

/** A throw-away database. */
export interface TestDatabase {
  /** `tc_test_<random>`. */
  readonly name: string;
  /** Connection string of the database. */
  readonly connectionString: string;
  /** A pool on it (closed by `drop`). */
  readonly pool: Pool;
  /** Closes the pool and drops the database (forcing out any connection left open). */
  drop(): Promise<void>;
}

function adminConfig(): pg.ClientConfig {
  return {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? 'postgres',
    database: 'postgres',
    ...(process.env.PGPASSWORD !== undefined ? { password: process.env.PGPASSWORD } : {}),
  };
}

async function asAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(adminConfig());
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A random lower-case suffix, valid in database names, Redis prefixes and queue names. */
export function randomSuffix(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}

/** Creates `tc_test_<random>` from the `postgres` database, with a pool on it. Drop it after the test. */
export async function createTestDatabase(options: { poolMax?: number } = {}): Promise<TestDatabase> {
  const name = `tc_test_${randomSuffix()}`;
  await asAdmin((client) => client.query(`create database ${name}`));
  const admin = adminConfig();
  const auth = `${encodeURIComponent(String(admin.user))}${admin.password !== undefined ? `:${encodeURIComponent(String(admin.password))}` : ''}`;
  const connectionString = `postgres://${auth}@${admin.host}:${admin.port}/${name}`;
  const pool = createPool({ connectionString, max: options.poolMax ?? 5, applicationName: name });
  let dropped = false;
  return {
    name,
    connectionString,
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end();
      await asAdmin((client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** A unique BullMQ key prefix on the test Redis. */
export interface TestRedis {
  /** `tc_test_<random>`: every BullMQ key of the test starts with `<prefix>:`. */
  readonly prefix: string;
  /** Connection options for `createQueue` / `createWorker`. */
  readonly connection: RedisConnection;
  /** A plain client for assertions (closed by `cleanup`). */
  readonly redis: Redis;
  /** Deletes every key under the prefix (SCAN, never KEYS or FLUSHDB: other tests share the server). */
  deleteKeys(): Promise<number>;
  /** Deletes the keys and closes the client. */
  cleanup(): Promise<void>;
}

/** Connection options of the test Redis. */
export function testRedisConnection(): RedisConnection {
  return {
    host: process.env.REDIS_HOST ?? '127.0.0.1',
    port: Number(process.env.REDIS_PORT ?? 6379),
    maxRetriesPerRequest: null,
  };
}

/** Gives a test its own Redis key prefix and a client; `cleanup` leaves nothing behind. */
export async function createTestRedis(): Promise<TestRedis> {
  const prefix = `tc_test_${randomSuffix()}`;
  const connection = testRedisConnection();
  const redis = new Redis({ ...connection, lazyConnect: true });
  await redis.connect();
  const deleteKeys = async (): Promise<number> => {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  };
  return {
    prefix,
    connection,
    redis,
    deleteKeys,
    async cleanup() {
      await deleteKeys();
      await redis.quit();
    },
  };
}
