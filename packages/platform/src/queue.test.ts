import type { Job, Queue, Worker } from 'bullmq';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from './db.js';
import { AppError } from './errors.js';
import { migrate, PLATFORM_MIGRATIONS_DIR } from './migrate.js';
import {
  checkJobId,
  createQueue,
  createWorker,
  JobError,
  parseFailedReason,
  processOnce,
  redisConnectionFromUrl,
  toBullError,
} from './queue.js';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from './testing.js';

describe('checkJobId', () => {
  it.each(['f2c-ed-1', 'c2t-0451234567-2025-03-01', 'a.b_c', 'x'.repeat(200), '12a'])('accepts %j', (id) => {
    expect(checkJobId(id).ok).toBe(true);
  });

  it.each(['', '123', '0', 'a:b', 'f2c:1', 'x'.repeat(201), 'a b', '-5', 'ид-1', '.hidden'])('refuses %j', (id) => {
    const result = checkJobId(id);
    expect(!result.ok && result.code).toBe('QUE_BAD_JOB_ID');
  });

  it('accepts only ids BullMQ accepts as custom ids (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (id) => {
        if (!checkJobId(id).ok) return;
        expect(id.includes(':')).toBe(false);
        expect(`${Number.parseInt(id, 10)}`).not.toBe(id);
      }),
      { numRuns: 300 },
    );
  });
});

describe('redisConnectionFromUrl', () => {
  it.each([
    ['redis://127.0.0.1:6380', { host: '127.0.0.1', port: 6380 }],
    [
      'redis://f2c-writer:p%40ss@redis-f2c:6379/2',
      { host: 'redis-f2c', username: 'f2c-writer', password: 'p@ss', db: 2 },
    ],
    ['rediss://redis-c2t', { host: 'redis-c2t', port: 6379, tls: {} }],
  ])('%s', (url, expected) => {
    expect(redisConnectionFromUrl(url)).toMatchObject({ ...expected, maxRetriesPerRequest: null });
  });
});

describe('coded failures across the process boundary', () => {
  it('round-trips code and message through the failed reason (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Z]{2,5}_[A-Z0-9_]{1,20}$/),
        fc.string(),
        fc.boolean(),
        (code, message, retryable) => {
          const error = toBullError(new JobError(code, message, { retryable }));
          expect(error.name).toBe(retryable ? 'Error' : 'UnrecoverableError');
          expect(parseFailedReason(error.message)).toEqual({ code, message });
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    [new AppError('FRM_BAD_FIELD', 422, 'bad'), 'UnrecoverableError', 'FRM_BAD_FIELD'],
    [new AppError('CTL_SIGNER_DOWN', 503, 'down'), 'Error', 'CTL_SIGNER_DOWN'],
    [Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'Error', 'QUE_JOB_FAILED'],
    [Object.assign(new Error('pg'), { code: 'DB_MIGRATION_FAILED' }), 'Error', 'DB_MIGRATION_FAILED'],
    ['a string', 'Error', 'QUE_JOB_FAILED'],
  ])('%s → %s with %s', (thrown, name, code) => {
    const error = toBullError(thrown);
    expect(error.name).toBe(name);
    expect(parseFailedReason(error.message).code).toBe(code);
  });

  it('reads an uncoded reason as QUE_JOB_FAILED', () => {
    expect(parseFailedReason('job stalled more than allowable limit')).toEqual({
      code: 'QUE_JOB_FAILED',
      message: 'job stalled more than allowable limit',
    });
  });
});

describe('workers and idempotent consumers (real Redis and PostgreSQL)', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  const closers: (Queue | Worker)[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await createTestRedis();
    const migrated = await migrate({ pool: db.pool, dir: PLATFORM_MIGRATIONS_DIR, scope: 'platform' });
    if (!migrated.ok) throw new Error(migrated.message);
    await db.pool.query('create table effects (id serial primary key, message_id text not null)');
  });
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c.close();
  });
  afterAll(async () => {
    await redis.cleanup();
    await db.drop();
  });

  function open<T>(name: string, processor: (job: Job<T>) => Promise<unknown>) {
    const queue = createQueue<T>(name, redis.connection, redis.prefix);
    const worker = createWorker<T, unknown>(name, processor, {
      connection: redis.connection,
      prefix: redis.prefix,
      concurrency: 4,
    });
    closers.push(queue, worker);
    return { queue, worker };
  }

  /** Resolves when the worker finished (completed or failed) the job with this id. */
  function finished(worker: Worker, id: string): Promise<'completed' | 'failed'> {
    return new Promise((resolve) => {
      const done = (job: Job | undefined, outcome: 'completed' | 'failed') => {
        if (job?.id !== id) return;
        if (outcome === 'failed' && job.attemptsMade < (job.opts.attempts ?? 1) && job.finishedOn === undefined) return;
        resolve(outcome);
      };
      worker.on('completed', (job) => done(job, 'completed'));
      worker.on('failed', (job) => done(job, 'failed'));
    });
  }

  it('gives a job delivered twice one effect', async () => {
    let runs = 0;
    const outcomes: boolean[] = [];
    const { queue, worker } = open<{ amount: string }>('effects', async (job) => {
      runs++;
      const result = await processOnce(db.pool, 'test-consumer', String(job.id), async (client) => {
        await client.query('insert into effects (message_id) values ($1)', [job.id]);
      });
      outcomes.push(result.duplicate);
      return result;
    });
    const first = finished(worker, 'f2c-msg-1');
    await queue.add('m', { amount: '100' }, { jobId: 'f2c-msg-1' });
    expect(await first).toBe('completed');
    // Redis forgets a removed job id (QUEUES.md): the same message can come again.
    await (await queue.getJob('f2c-msg-1'))?.remove();
    const second = finished(worker, 'f2c-msg-1');
    await queue.add('m', { amount: '100' }, { jobId: 'f2c-msg-1' });
    expect(await second).toBe('completed');
    expect(runs).toBe(2);
    expect(outcomes).toEqual([false, true]);
    const effects = await db.pool.query("select count(*)::int as n from effects where message_id = 'f2c-msg-1'");
    expect(effects.rows[0].n).toBe(1);
  });

  it('fails a non-retryable job at once with its code, and retries a retryable one', async () => {
    const { queue, worker } = open<{ kind: string }>('failing', async (job) => {
      if (job.data.kind === 'bad') throw new JobError('TST_BAD_PAYLOAD', 'payload refused', { retryable: false });
      throw new JobError('TST_DOWN', 'peer down');
    });
    const bad = finished(worker, 'bad-1');
    const flaky = finished(worker, 'flaky-1');
    const opts = { attempts: 3, backoff: { type: 'fixed', delay: 10 } };
    await queue.add('j', { kind: 'bad' }, { ...opts, jobId: 'bad-1' });
    await queue.add('j', { kind: 'flaky' }, { ...opts, jobId: 'flaky-1' });
    expect(await bad).toBe('failed');
    expect(await flaky).toBe('failed');
    const badJob = await queue.getJob('bad-1');
    const flakyJob = await queue.getJob('flaky-1');
    expect(badJob?.attemptsMade).toBe(1);
    expect(parseFailedReason(badJob?.failedReason ?? '')).toEqual({
      code: 'TST_BAD_PAYLOAD',
      message: 'payload refused',
    });
    expect(flakyJob?.attemptsMade).toBe(3);
    expect(parseFailedReason(flakyJob?.failedReason ?? '').code).toBe('TST_DOWN');
  });

  it('lets concurrent deliveries of one message produce one effect', async () => {
    const deliver = () =>
      processOnce(db.pool, 'concurrent', 'c2t-msg-7', async (client) => {
        await client.query("insert into effects (message_id) values ('c2t-msg-7')");
        await new Promise((r) => setTimeout(r, 50));
      });
    const results = await Promise.all([deliver(), deliver(), deliver()]);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    const effects = await db.pool.query("select count(*)::int as n from effects where message_id = 'c2t-msg-7'");
    expect(effects.rows[0].n).toBe(1);
  });

  it('lets a failed effect be retried: nothing is recorded when the transaction rolls back', async () => {
    await expect(
      processOnce(db.pool, 'rollback', 'm-9', async () => {
        throw new Error('effect failed');
      }),
    ).rejects.toThrow('effect failed');
    const again = await processOnce(db.pool, 'rollback', 'm-9', async () => 'ok');
    expect(again).toEqual({ duplicate: false, value: 'ok' });
    // Inside a caller's transaction, the caller's commit decides.
    const inTx = await withTransaction(db.pool, (client) => processOnce(client, 'rollback', 'm-9', async () => 'x'));
    expect(inTx).toEqual({ duplicate: true });
  });

  it('works for a restricted Redis ACL user (no INFO, no CLIENT) with skipVersionCheck', async () => {
    // QUEUES.md: per-service ACL key patterns work, but BullMQ 6.7.0 needs skipVersionCheck (it calls INFO).
    const user = `${redis.prefix}_f2c_writer`;
    await redis.redis.call(
      'ACL',
      'SETUSER',
      user,
      'on',
      '>acl-test-pw',
      `~${redis.prefix}:*`,
      '&*',
      '+@all',
      '-@dangerous',
    );
    try {
      const connection = { ...redis.connection, username: user, password: 'acl-test-pw' };
      const denied = await redis.redis.call('ACL', 'DRYRUN', user, 'INFO');
      expect(String(denied)).toMatch(/no permissions/);
      const queue = createQueue('acl', connection, redis.prefix, { skipVersionCheck: true });
      const worker = createWorker('acl', async (job) => job.data, {
        connection,
        prefix: redis.prefix,
        skipVersionCheck: true,
      });
      closers.push(queue, worker);
      const done = finished(worker, 'acl-1');
      await queue.add('j', { ok: true }, { jobId: 'acl-1' });
      expect(await done).toBe('completed');
      expect(await queue.getJobState('acl-1')).toBe('completed');
    } finally {
      for (const c of closers.splice(0).reverse()) await c.close();
      await redis.redis.call('ACL', 'DELUSER', user);
    }
  });

  it('refuses queue names that would break BullMQ keys', () => {
    expect(() => createQueue('f2c:x', redis.connection, redis.prefix)).toThrow(/QUE_BAD_QUEUE_NAME/);
    expect(() => createQueue('f2c', redis.connection, 'bad prefix')).toThrow(/QUE_BAD_QUEUE_NAME/);
  });
});
