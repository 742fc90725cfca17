import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, withTransaction } from './db.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('createPool', () => {
  // Issue 8 (fault suite): PostgreSQL restarted while a transaction held a client. pg emits 'error' on that
  // client, and without a listener the process dies with an uncaught exception (vitest reports it and fails).
  it('survives a connection lost while a client is checked out, and keeps serving', async () => {
    const pool = createPool({ connectionString: db.connectionString, max: 2 });
    try {
      await expect(
        withTransaction(pool, async (client) => {
          const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
          await db.pool.query('select pg_terminate_backend($1)', [pid]);
          // The server's goodbye arrives while the client is idle in the transaction: the 'error' event.
          await sleep(300);
          await client.query('select 1');
        }),
      ).rejects.toThrow();
      expect((await pool.query<{ n: number }>('select 1 as n')).rows[0]?.n).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
