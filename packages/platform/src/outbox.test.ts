import type { Queue, Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from './db.js';
import { migrate, PLATFORM_MIGRATIONS_DIR } from './migrate.js';
import { ackOutbox, addToOutbox, createOutboxRelay, isWornOut, outboxBacklog } from './outbox.js';
import { createQueue, createWorker, JobError, processOnce } from './queue.js';
import { createTestDatabase, createTestRedis, randomSuffix, type TestDatabase, type TestRedis } from './testing.js';

let db: TestDatabase;
let redis: TestRedis;
const closers: (Queue | Worker)[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 10 });
  redis = await createTestRedis();
  const migrated = await migrate({ pool: db.pool, dir: PLATFORM_MIGRATIONS_DIR, scope: 'platform' });
  if (!migrated.ok) throw new Error(migrated.message);
  await db.pool.query('create table orders (id text primary key, state text not null)');
  await db.pool.query('create table effects (message_id text not null)');
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c.close();
});
afterAll(async () => {
  await redis.cleanup();
  await db.drop();
});

/** A queue with a name no other test uses (rows of other queues are invisible to its relay). */
function freshQueue(): Queue {
  const queue = createQueue(`f2c_${randomSuffix(4)}`, redis.connection, redis.prefix);
  closers.push(queue);
  return queue;
}

async function handOver(id: string, queue: string, payload: unknown = { ed: id }) {
  return withTransaction(db.pool, async (client) => {
    await client.query('insert into orders (id, state) values ($1, $2) on conflict do nothing', [id, 'signed']);
    return addToOutbox(client, { id, queue, payload });
  });
}

async function row(id: string) {
  const result = await db.pool.query('select enqueued_at, acked_at, attempts, last_state from outbox where id = $1', [
    id,
  ]);
  return result.rows[0];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('addToOutbox', () => {
  it('writes in the caller transaction: a rollback leaves neither state nor hand-over', async () => {
    await expect(
      withTransaction(db.pool, async (client) => {
        await client.query("insert into orders (id, state) values ('rb-1', 'signed')");
        await addToOutbox(client, { id: 'f2c-rb-1', queue: 'f2c', payload: { a: 1 } });
        throw new Error('signing failed after all');
      }),
    ).rejects.toThrow();
    const count = await db.pool.query(
      "select (select count(*) from orders where id = 'rb-1')::int + (select count(*) from outbox where id = 'f2c-rb-1')::int as n",
    );
    expect(count.rows[0].n).toBe(0);
  });

  it('is idempotent for the same message and refuses another message under the same id', async () => {
    expect(await handOver('f2c-dup-1', 'f2c', { ed: 'x', amount: '1' })).toEqual({
      ok: true,
      value: { inserted: true },
    });
    // Key order does not matter: jsonb compares values.
    expect(await handOver('f2c-dup-1', 'f2c', { amount: '1', ed: 'x' })).toEqual({
      ok: true,
      value: { inserted: false },
    });
    const conflict = await handOver('f2c-dup-1', 'f2c', { ed: 'x', amount: '2' });
    expect(!conflict.ok && conflict.code).toBe('QUE_OUTBOX_CONFLICT');
    const otherQueue = await handOver('f2c-dup-1', 'c2t', { ed: 'x', amount: '1' });
    expect(!otherQueue.ok && otherQueue.code).toBe('QUE_OUTBOX_CONFLICT');
  });

  it('refuses an id BullMQ cannot use, and the table refuses it too', async () => {
    const result = await handOver('f2c:1', 'f2c');
    expect(!result.ok && result.code).toBe('QUE_BAD_JOB_ID');
    await expect(db.pool.query("insert into outbox (id, queue, payload) values ('12345', 'q', '{}')")).rejects.toThrow(
      /outbox_id_is_job_id/,
    );
  });
});

describe('the relay', () => {
  it('adds unacknowledged rows to BullMQ with the row id as job id, once', async () => {
    const queue = freshQueue();
    for (let i = 0; i < 5; i++) await handOver(`f2c-once-${i}`, queue.name, { n: i });
    const relay = createOutboxRelay({ pool: db.pool, queues: { [queue.name]: queue }, redeliverAfterMs: 60_000 });
    expect(await relay.runOnce()).toEqual({ enqueued: 5, requeued: 0, acked: 0, retried: 0, pending: 0 });
    expect(await relay.runOnce()).toEqual({ enqueued: 0, requeued: 0, acked: 0, retried: 0, pending: 0 });
    const job = await queue.getJob('f2c-once-3');
    expect(job?.data).toEqual({ n: 3 });
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 5 });
    expect(await row('f2c-once-3')).toMatchObject({ attempts: 1, acked_at: null });
  });

  it('refills a Redis that lost its memory', async () => {
    const queue = freshQueue();
    await handOver('f2c-lost-1', queue.name, { ed: 'lost' });
    const relay = createOutboxRelay({ pool: db.pool, queues: { [queue.name]: queue }, redeliverAfterMs: 150 });
    await relay.runOnce();
    expect(await queue.getJobState('f2c-lost-1')).toBe('waiting');

    expect(await redis.deleteKeys()).toBeGreaterThan(0);
    expect(await queue.getJobState('f2c-lost-1')).toBe('unknown');

    // Before redeliverAfterMs nothing is looked at again; after it, the job is put back.
    expect((await relay.runOnce()).requeued).toBe(0);
    await sleep(200);
    expect(await relay.runOnce()).toEqual({ enqueued: 0, requeued: 1, acked: 0, retried: 0, pending: 0 });
    expect(await queue.getJobState('f2c-lost-1')).toBe('waiting');
    expect((await queue.getJob('f2c-lost-1'))?.data).toEqual({ ed: 'lost' });
    expect(await row('f2c-lost-1')).toMatchObject({ attempts: 2, acked_at: null });
  });

  it('acknowledges a row once its job completed, and leaves a waiting one pending', async () => {
    const served = freshQueue();
    const idle = freshQueue();
    await handOver('f2c-ack-1', served.name);
    await handOver('f2c-ack-2', idle.name);
    const relay = createOutboxRelay({
      pool: db.pool,
      queues: { [served.name]: served, [idle.name]: idle },
      redeliverAfterMs: 100,
    });
    expect((await relay.runOnce()).enqueued).toBe(2);
    const worker = createWorker(served.name, async () => 'done', {
      connection: redis.connection,
      prefix: redis.prefix,
    });
    closers.push(worker);
    for (let i = 0; i < 60 && (await served.getJobState('f2c-ack-1')) !== 'completed'; i++) await sleep(50);
    await sleep(120);
    expect(await relay.runOnce()).toEqual({ enqueued: 0, requeued: 0, acked: 1, retried: 0, pending: 1 });
    expect(await row('f2c-ack-1')).toMatchObject({ last_state: 'completed' });
    expect((await row('f2c-ack-1')).acked_at).not.toBeNull();
    expect(await row('f2c-ack-2')).toMatchObject({ last_state: 'waiting', acked_at: null });
    // A producer may also acknowledge on the consumer's answer; a second ack changes nothing.
    expect(await ackOutbox(db.pool, 'f2c-ack-2')).toBe(true);
    expect(await ackOutbox(db.pool, 'f2c-ack-2')).toBe(false);
    await sleep(120);
    expect(await relay.runOnce()).toEqual({ enqueued: 0, requeued: 0, acked: 0, retried: 0, pending: 0 });
  });

  it('retries a job that failed after every attempt or stalled, never one the consumer refused', async () => {
    const queue = freshQueue();
    await handOver('f2c-worn-1', queue.name, { fail: 'down' });
    await handOver('f2c-refused-1', queue.name, { fail: 'refuse' });
    const relay = createOutboxRelay({
      pool: db.pool,
      queues: { [queue.name]: queue },
      redeliverAfterMs: 100,
      jobOptions: { attempts: 2, backoff: { type: 'fixed', delay: 10 } },
    });
    expect((await relay.runOnce()).enqueued).toBe(2);
    // The consumer's database is "down" for the first two attempts, then it works.
    let calls = 0;
    const effects: string[] = [];
    const worker = createWorker<{ fail: string }>(
      queue.name,
      async (job) => {
        if (job.data.fail === 'refuse') throw new JobError('QUE_BAD_PAYLOAD', 'refused', { retryable: false });
        if (++calls <= 2) throw new Error('database unavailable');
        effects.push(String(job.id));
      },
      { connection: redis.connection, prefix: redis.prefix },
    );
    closers.push(worker);
    for (let i = 0; i < 100 && ((await queue.getJobCounts('failed')).failed ?? 0) < 2; i++) await sleep(50);
    expect(await queue.getJobState('f2c-worn-1')).toBe('failed');
    await sleep(120);
    expect(await relay.runOnce()).toEqual({ enqueued: 0, requeued: 0, acked: 0, retried: 1, pending: 2 });
    for (let i = 0; i < 100 && (await queue.getJobState('f2c-worn-1')) !== 'completed'; i++) await sleep(50);
    expect(effects).toEqual(['f2c-worn-1']);
    await sleep(120);
    expect(await relay.runOnce()).toEqual({ enqueued: 0, requeued: 0, acked: 1, retried: 0, pending: 1 });
    expect(await row('f2c-refused-1')).toMatchObject({ last_state: 'failed', acked_at: null });
  });

  it('tells a worn-out job from a refused one', () => {
    const job = (attemptsMade: number, failedReason: string) => ({ attemptsMade, opts: { attempts: 5 }, failedReason });
    expect(isWornOut(job(5, 'QUE_JOB_FAILED: connection refused'))).toBe(true);
    expect(isWornOut(job(1, 'job stalled more than allowable limit'))).toBe(true);
    expect(isWornOut(job(1, 'QUE_BAD_PAYLOAD: refused'))).toBe(false);
  });

  it('never lets two relays claim the same row', async () => {
    const queue = freshQueue();
    for (let i = 0; i < 60; i++) await handOver(`f2c-race-${i}`, queue.name, { i });
    const relays = [0, 1, 2].map(() =>
      createOutboxRelay({ pool: db.pool, queues: { [queue.name]: queue }, batchSize: 7, redeliverAfterMs: 60_000 }),
    );
    let total = 0;
    for (let round = 0; round < 5; round++) {
      const reports = await Promise.all(relays.map((r) => r.runOnce()));
      total += reports.reduce((sum, r) => sum + r.enqueued, 0);
    }
    expect(total).toBe(60);
    const attempts = await db.pool.query(
      "select max(attempts)::int as max, min(attempts)::int as min from outbox where id like 'f2c-race-%'",
    );
    expect(attempts.rows[0]).toEqual({ max: 1, min: 1 });
    expect((await queue.getJobCounts('waiting')).waiting).toBe(60);
  });

  it('delivers end to end: outbox → relay loop → worker with idempotent effect → acknowledged', async () => {
    const queue = freshQueue();
    const worker = createWorker<{ n: number }>(
      queue.name,
      async (job) => {
        await processOnce(db.pool, 'e2e', String(job.id), async (client) => {
          await client.query('insert into effects (message_id) values ($1)', [job.id]);
        });
      },
      { connection: redis.connection, prefix: redis.prefix, concurrency: 5 },
    );
    closers.push(worker);
    const ids = Array.from({ length: 20 }, (_, i) => `f2c-e2e-${i}`);
    for (const [i, id] of ids.entries()) await handOver(id, queue.name, { n: i });
    const relay = createOutboxRelay({
      pool: db.pool,
      queues: { [queue.name]: queue },
      batchSize: 8,
      intervalMs: 50,
      redeliverAfterMs: 200,
    });
    relay.start();
    try {
      let acked = 0;
      for (let i = 0; i < 100 && acked < ids.length; i++) {
        await sleep(50);
        const result = await db.pool.query(
          "select count(*)::int as n from outbox where id like 'f2c-e2e-%' and acked_at is not null",
        );
        acked = result.rows[0].n;
      }
      expect(acked).toBe(ids.length);
    } finally {
      await relay.stop();
    }
    const effects = await db.pool.query(
      "select count(distinct message_id)::int as d, count(*)::int as n from effects where message_id like 'f2c-e2e-%'",
    );
    expect(effects.rows[0]).toEqual({ d: 20, n: 20 });
    expect(await outboxBacklog(db.pool, queue.name)).toEqual({ pending: 0, oldestAgeSeconds: 0 });
    await handOver('f2c-e2e-late', queue.name);
    const backlog = await outboxBacklog(db.pool, queue.name);
    expect(backlog.pending).toBe(1);
    expect(backlog.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
  });
});
