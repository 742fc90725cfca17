import { type Job, type JobsOptions, Queue, type RedisOptions, UnrecoverableError, Worker } from 'bullmq';
import pg from 'pg';
import type { Logger } from 'pino';
import type { ReadinessCheck } from './app.js';
import { type Pool, type PoolClient, withTransaction } from './db.js';
import { isAppError } from './errors.js';
import { fail, ok, type Result } from './result.js';

/** How to reach one boundary's Redis (ioredis-style options; BullMQ opens its own connections from them). */
export type RedisConnection = RedisOptions;

/**
 * Connection options from a `redis://` or `rediss://` URL (`redis://user:password@host:6379/0`).
 * `maxRetriesPerRequest: null` is set because BullMQ workers require it: a command waits for Redis to
 * come back instead of failing the job loop (BullMQ, going-to-production).
 */
export function redisConnectionFromUrl(url: string): RedisConnection {
  const parsed = new URL(url);
  const options: RedisConnection = {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    maxRetriesPerRequest: null,
  };
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '') options.db = Number(db);
  if (parsed.protocol === 'rediss:') options.tls = {};
  return options;
}

/** Job ids and queue names: plain characters only. BullMQ refuses `:` in both and all-digit job ids. */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * Checks a BullMQ custom job id (= outbox id): 1–200 characters of `[A-Za-z0-9._-]`, not all digits
 * (BullMQ job-ids docs: `:` breaks its key scheme and an integer id collides with its own counters).
 */
export function checkJobId(id: string): Result<string> {
  if (!PLAIN_NAME.test(id) || /^\d+$/.test(id)) {
    return fail('QUE_BAD_JOB_ID', 'job id must be 1-200 characters of [A-Za-z0-9._-], not all digits');
  }
  return ok(id);
}

function checkName(name: string, what: string): void {
  // A bad queue name or prefix is a bug in the service's wiring, found at startup.
  if (!PLAIN_NAME.test(name)) throw new Error(`QUE_BAD_QUEUE_NAME: ${what} ${JSON.stringify(name)} is not plain`);
}

/** Options shared by queues and workers. */
export interface QueueCommonOptions {
  /**
   * Skip BullMQ's Redis version check (it calls INFO). Required with a restricted Redis ACL user:
   * BullMQ 6.7.0 otherwise hangs at 100 % CPU without an error (shared/QUEUES.md).
   */
  skipVersionCheck?: boolean;
}

/**
 * BullMQ's connection options: `maxRetriesPerRequest: null` always; with `skipVersionCheck` (a restricted
 * ACL user) also no ioredis ready check, which would call INFO as well and warn on every connection.
 */
function connectionFor(connection: RedisConnection, options: QueueCommonOptions): RedisConnection {
  return options.skipVersionCheck
    ? { ...connection, maxRetriesPerRequest: null, enableReadyCheck: false }
    : { ...connection, maxRetriesPerRequest: null };
}

/** Default options of every job added through the platform: retries with back-off, failed jobs kept. */
export const DEFAULT_JOB_OPTIONS: Readonly<JobsOptions> = Object.freeze({
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  // Failed jobs stay for operators; the outbox row stays unacknowledged and shows last_state 'failed'.
  removeOnFail: false,
  removeOnComplete: { age: 3600 },
});

/** A BullMQ queue (producer side) on one boundary's Redis, under `prefix`. Close it on shutdown. */
export function createQueue<T = unknown>(
  name: string,
  connection: RedisConnection,
  prefix: string,
  options: QueueCommonOptions & { defaultJobOptions?: JobsOptions } = {},
): Queue<T> {
  checkName(name, 'queue name');
  checkName(prefix, 'prefix');
  return new Queue(name, {
    connection: connectionFor(connection, options),
    prefix,
    skipVersionCheck: options.skipVersionCheck ?? false,
    defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, ...options.defaultJobOptions },
  });
}

/** Options of {@link createWorker}. */
export interface WorkerOptions extends QueueCommonOptions {
  connection: RedisConnection;
  prefix: string;
  /** Jobs processed at once; default 1. */
  concurrency?: number;
  /**
   * Lock held on an active job; default 5000 ms. A worker that dies loses the lock and the job is
   * recovered after about lockDuration + stalledInterval (measured 6.3 s with 5 s / 2.5 s; the 30 s
   * defaults mean 30–60 s, shared/QUEUES.md).
   */
  lockDuration?: number;
  /** How often stalled jobs are looked for; default 2500 ms. */
  stalledInterval?: number;
  /** Stalls before a job fails instead of being retried; default 1 (BullMQ's). */
  maxStalledCount?: number;
  /** Start processing at once; default true. */
  autorun?: boolean;
  logger?: Logger;
}

/**
 * An error a job processor throws on purpose: a stable `code` (errors lose their class when they cross
 * a process boundary, so the code travels in the failed reason) and whether a retry can help.
 */
export class JobError extends Error {
  /** Stable `<AREA>_<REASON>` code. */
  readonly code: string;
  /** False for failures a retry cannot fix (bad payload, refused signature): the job fails at once. */
  readonly retryable: boolean;

  /** Builds the error. */
  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JobError';
    this.code = code;
    this.retryable = options.retryable ?? true;
  }
}

const CODE = /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/;

/**
 * The error BullMQ records for a thrown value: message `CODE: message`, and `UnrecoverableError` (no
 * retry) for a non-retryable {@link JobError} or a 4xx {@link AppError} — a client error does not heal.
 */
export function toBullError(error: unknown): Error {
  if (error instanceof UnrecoverableError) return error;
  let code = 'QUE_JOB_FAILED';
  let retryable = true;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof JobError) {
    code = error.code;
    retryable = error.retryable;
  } else if (isAppError(error)) {
    code = error.code;
    retryable = error.statusCode >= 500;
  } else if (typeof (error as { code?: unknown })?.code === 'string' && CODE.test((error as { code: string }).code)) {
    code = (error as { code: string }).code;
  }
  const text = `${code}: ${message}`;
  const out = retryable ? new Error(text, { cause: error }) : new UnrecoverableError(text);
  if (error instanceof Error && error.stack) out.stack = `${text}\n${error.stack.split('\n').slice(1).join('\n')}`;
  return out;
}

/** Splits a BullMQ `failedReason` written by {@link toBullError} back into code and message. */
export function parseFailedReason(reason: string): { code: string; message: string } {
  const match = /^([A-Z][A-Z0-9]*_[A-Z0-9_]+): ([\s\S]*)$/.exec(reason);
  return match?.[1] !== undefined && match[2] !== undefined
    ? { code: match[1], message: match[2] }
    : { code: 'QUE_JOB_FAILED', message: reason };
}

/**
 * A BullMQ worker with the platform's settings: short lock and stall interval, `maxRetriesPerRequest:
 * null`, coded failures ({@link toBullError}), and an `error` listener (an EventEmitter `error` without
 * one would crash the process). Close it explicitly on shutdown (`await worker.close()`).
 */
export function createWorker<T = unknown, R = unknown>(
  name: string,
  processor: (job: Job<T, R>, token?: string) => Promise<R>,
  options: WorkerOptions,
): Worker<T, R> {
  checkName(name, 'queue name');
  checkName(options.prefix, 'prefix');
  const worker = new Worker<T, R>(
    name,
    async (job, token) => {
      try {
        return await processor(job, token);
      } catch (error) {
        throw toBullError(error);
      }
    },
    {
      connection: connectionFor(options.connection, options),
      prefix: options.prefix,
      concurrency: options.concurrency ?? 1,
      lockDuration: options.lockDuration ?? 5000,
      stalledInterval: options.stalledInterval ?? 2500,
      maxStalledCount: options.maxStalledCount ?? 1,
      skipVersionCheck: options.skipVersionCheck ?? false,
      autorun: options.autorun ?? true,
    },
  );
  const log = options.logger;
  worker.on('error', (error) => log?.error({ err: error, queue: name }, 'worker error'));
  worker.on('failed', (job, error) => {
    log?.warn({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, reason: error.message }, 'job failed');
  });
  return worker;
}

/** Outcome of {@link processOnce}. */
export type ProcessOnceResult<T> = { duplicate: false; value: T } | { duplicate: true };

/**
 * Runs a consumer's effect at most once per message id: records `(consumer, messageId)` in
 * `processed_messages` and runs `fn` in the same transaction. A redelivered message (BullMQ is
 * at-least-once) finds the row and `fn` does not run again. A concurrent second delivery waits on the
 * unique key until the first commits, then sees it; if the first rolls back, the second runs.
 *
 * Given a pool, it opens the transaction itself; given a client, the caller's transaction is used.
 */
export async function processOnce<T>(
  db: Pool | PoolClient,
  consumer: string,
  messageId: string,
  fn: (client: PoolClient) => Promise<T>,
): Promise<ProcessOnceResult<T>> {
  const run = async (client: PoolClient): Promise<ProcessOnceResult<T>> => {
    const inserted = await client.query(
      'insert into processed_messages (consumer, message_id) values ($1, $2) on conflict do nothing',
      [consumer, messageId],
    );
    if (inserted.rowCount === 0) return { duplicate: true };
    return { duplicate: false, value: await fn(client) };
  };
  return db instanceof pg.Pool ? withTransaction(db, run) : run(db as PoolClient);
}

/** A readiness check sending PING to a Redis client (an ioredis instance, or `await queue.client`). */
export function redisReadiness(
  client: { ping(): Promise<unknown> } | (() => Promise<{ ping(): Promise<unknown> }>),
): ReadinessCheck {
  return async () => {
    const redis = typeof client === 'function' ? await client() : client;
    await redis.ping();
  };
}
