import type { Job, JobsOptions, Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Pool, Queryable } from './db.js';
import { checkJobId, DEFAULT_JOB_OPTIONS } from './queue.js';
import { fail, ok, type Result } from './result.js';

/** One hand-over to write in the producer's transaction. */
export interface OutboxMessage {
  /** Deterministic id, `<boundary>-<message id>` (e.g. `f2c-<ED id>`); becomes the BullMQ job id. */
  id: string;
  /** Queue name the relay adds the job to. */
  queue: string;
  /** The job data (JSON). */
  payload: unknown;
}

/**
 * Writes a hand-over into the outbox inside the caller's transaction (`client` must be in one, with the
 * state the message belongs to), so the state and the hand-over commit or vanish together.
 *
 * Writing the same id again is a no-op (`inserted: false`) when queue and payload are the same, so a
 * retried request does not hand over twice; a different queue or payload under an existing id is
 * refused with `QUE_OUTBOX_CONFLICT` (ids must be deterministic per message). A malformed id is refused
 * with `QUE_BAD_JOB_ID`.
 */
export async function addToOutbox(client: Queryable, message: OutboxMessage): Promise<Result<{ inserted: boolean }>> {
  const id = checkJobId(message.id);
  if (!id.ok) return id;
  const payload = JSON.stringify(message.payload);
  const inserted = await client.query(
    'insert into outbox (id, queue, payload) values ($1, $2, $3::jsonb) on conflict (id) do nothing',
    [message.id, message.queue, payload],
  );
  if (inserted.rowCount === 1) return ok({ inserted: true });
  const same = await client.query<{ same: boolean }>(
    'select queue = $2 and payload = $3::jsonb as same from outbox where id = $1',
    [message.id, message.queue, payload],
  );
  if (same.rows[0]?.same === true) return ok({ inserted: false });
  return fail('QUE_OUTBOX_CONFLICT', `outbox id ${message.id} already holds another message`);
}

/**
 * Marks a hand-over confirmed; the relay stops re-enqueuing it. Returns false when the row was already
 * acknowledged or does not exist. The relay calls this itself when it sees the job completed; a
 * producer may also call it when the consumer's answer arrives on the way back.
 */
export async function ackOutbox(db: Queryable, id: string): Promise<boolean> {
  const result = await db.query('update outbox set acked_at = now() where id = $1 and acked_at is null', [id]);
  return result.rowCount === 1;
}

/** Unacknowledged rows (of one queue, or all) and the age of the oldest, for metrics and operators. */
export async function outboxBacklog(
  db: Queryable,
  queue?: string,
): Promise<{ pending: number; oldestAgeSeconds: number }> {
  const result = await db.query<{ pending: string; oldest: number | null }>(
    `select count(*) as pending, extract(epoch from now() - min(created_at))::float8 as oldest
       from outbox where acked_at is null and ($1::text is null or queue = $1)`,
    [queue ?? null],
  );
  const row = result.rows[0];
  return { pending: Number(row?.pending ?? 0), oldestAgeSeconds: row?.oldest ?? 0 };
}

/** Options of {@link createOutboxRelay}. */
export interface OutboxRelayOptions {
  pool: Pool;
  /** The queues this relay serves, by name; rows of other queues are left to other relays. */
  queues: Readonly<Record<string, Queue>>;
  /** Rows claimed per run; default 100. */
  batchSize?: number;
  /** Pause between runs when there was nothing (or less than a batch) to do; default 1000 ms. */
  intervalMs?: number;
  /**
   * A row handed over longer ago than this and still unacknowledged is looked at again: acknowledged
   * if its job completed, added again if Redis no longer has it. Default 30 000 ms.
   */
  redeliverAfterMs?: number;
  /**
   * How long BullMQ keeps a completed job, so the relay can see it completed; default
   * max(4 × redeliverAfterMs, 120 s). A job removed before that is added again and the consumer's
   * idempotence ({@link processOnce}) turns the repeat into a no-op.
   */
  completedRetentionMs?: number;
  /** Job options (attempts, back-off); `jobId` and `removeOnComplete` are the relay's. */
  jobOptions?: JobsOptions;
  logger?: Logger;
}

/** What one run of the relay did. */
export interface RelayRunReport {
  /** Rows handed to BullMQ for the first time. */
  enqueued: number;
  /** Rows added again because Redis no longer had their job. */
  requeued: number;
  /** Rows acknowledged because their job completed. */
  acked: number;
  /**
   * Rows whose job had failed after every attempt (or stalled too often) and was put back to run again:
   * the consumer's database or the next hop was down for longer than the back-off lasted.
   */
  retried: number;
  /** Rows whose job is still waiting, active, delayed or failed. */
  pending: number;
}

/** The relay: `runOnce` for tests and scripts, `start`/`stop` for services. */
export interface OutboxRelay {
  runOnce(): Promise<RelayRunReport>;
  /** Runs continuously until {@link OutboxRelay.stop}. */
  start(): void;
  /** Stops the loop and waits for the run in progress. */
  stop(): Promise<void>;
}

interface ClaimedRow {
  id: string;
  queue: string;
  payload: unknown;
  previous: Date | null;
}

/**
 * Creates the outbox relay (DESIGN.md, Storage; shared/QUEUES.md).
 *
 * Each run claims up to `batchSize` unacknowledged rows that were never handed over or were handed over
 * more than `redeliverAfterMs` ago, with `FOR UPDATE SKIP LOCKED` (several relays never claim the same
 * row, and the claim commits before Redis is touched, so no transaction stays open across the network).
 * Then, per row:
 *
 * - never handed over → added to BullMQ with `jobId` = row id;
 * - job `completed` → the row is acknowledged (the consumer commits its effect before the job completes);
 * - job unknown to Redis (Redis lost its memory, or removed the completed job) → added again;
 * - job failed after all its attempts, or stalled more often than allowed (its worker was killed) → retried
 *   ({@link isWornOut}): otherwise the row would never be acknowledged and the hand-over would stop there;
 * - job failed on purpose (`UnrecoverableError`: the consumer refused it), waiting, active or delayed → left
 *   alone and looked at again later (`last_state`).
 *
 * The consumer must be idempotent ({@link processOnce}): a job can be delivered more than once.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const batchSize = options.batchSize ?? 100;
  const intervalMs = options.intervalMs ?? 1000;
  const redeliverAfterMs = options.redeliverAfterMs ?? 30_000;
  const retentionMs = options.completedRetentionMs ?? Math.max(4 * redeliverAfterMs, 120_000);
  const queueNames = Object.keys(options.queues);
  const jobOptions: JobsOptions = {
    ...DEFAULT_JOB_OPTIONS,
    ...options.jobOptions,
    removeOnComplete: { age: Math.ceil(retentionMs / 1000) },
  };
  const log = options.logger;

  async function claim(): Promise<ClaimedRow[]> {
    const result = await options.pool.query<ClaimedRow>(
      `with picked as (
         select id, enqueued_at as previous from outbox
          where acked_at is null and queue = any($1::text[])
            and (enqueued_at is null or enqueued_at < now() - make_interval(secs => $2::float8 / 1000))
          order by created_at
          limit $3
          for update skip locked)
       update outbox o set enqueued_at = now(), attempts = o.attempts + 1
         from picked where o.id = picked.id
       returning o.id, o.queue, o.payload, picked.previous`,
      [queueNames, redeliverAfterMs, batchSize],
    );
    return result.rows;
  }

  async function addJobs(queue: Queue, rows: readonly ClaimedRow[]): Promise<void> {
    // A job id that still exists in Redis is not added twice (BullMQ ignores the duplicate).
    await queue.addBulk(rows.map((r) => ({ name: r.queue, data: r.payload, opts: { ...jobOptions, jobId: r.id } })));
  }

  async function runOnce(): Promise<RelayRunReport> {
    const report: RelayRunReport = { enqueued: 0, requeued: 0, acked: 0, retried: 0, pending: 0 };
    const rows = await claim();
    const acked: string[] = [];
    const states: { id: string; state: string }[] = [];
    for (const name of queueNames) {
      const queue = options.queues[name];
      const ofQueue = rows.filter((r) => r.queue === name);
      if (!queue || ofQueue.length === 0) continue;
      const fresh = ofQueue.filter((r) => r.previous === null);
      const seen = ofQueue.filter((r) => r.previous !== null);
      const lost: ClaimedRow[] = [];
      const retried: string[] = [];
      await Promise.all(
        seen.map(async (row) => {
          const state = await queue.getJobState(row.id);
          if (state === 'completed') acked.push(row.id);
          else if (state === 'unknown') lost.push(row);
          else if (state === 'failed' && (await retryWornOut(queue, row.id))) {
            retried.push(row.id);
            states.push({ id: row.id, state: 'waiting' });
          } else states.push({ id: row.id, state });
        }),
      );
      report.retried += retried.length;
      if (retried.length > 0) log?.warn({ queue: name, ids: retried }, 'failed jobs of unacknowledged rows retried');
      const toAdd = [...fresh, ...lost];
      if (toAdd.length > 0) {
        try {
          await addJobs(queue, toAdd);
        } catch (error) {
          // Hand fresh rows back at once, so they do not wait redeliverAfterMs for Redis to recover.
          await options.pool.query('update outbox set enqueued_at = null where id = any($1::text[])', [
            fresh.map((r) => r.id),
          ]);
          throw error;
        }
      }
      report.enqueued += fresh.length;
      report.requeued += lost.length;
      if (lost.length > 0) log?.warn({ queue: name, ids: lost.map((r) => r.id) }, 'outbox rows re-enqueued');
    }
    if (acked.length > 0) {
      await options.pool.query(
        `update outbox set acked_at = now(), last_state = 'completed' where id = any($1::text[]) and acked_at is null`,
        [acked],
      );
      report.acked = acked.length;
    }
    if (states.length > 0) {
      await options.pool.query(
        `update outbox o set last_state = s.state
           from unnest($1::text[], $2::text[]) as s(id, state) where o.id = s.id`,
        [states.map((s) => s.id), states.map((s) => s.state)],
      );
      report.pending = states.length;
      const failed = states.filter((s) => s.state === 'failed').map((s) => s.id);
      if (failed.length > 0) log?.warn({ ids: failed }, 'outbox rows whose job was refused stay unacknowledged');
    }
    return report;
  }

  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  const loop = (): void => {
    if (!running) return;
    inFlight = runOnce()
      .then(
        (report) => {
          const busy = report.enqueued + report.requeued + report.acked + report.retried + report.pending >= batchSize;
          return busy ? 0 : intervalMs;
        },
        (error: unknown) => {
          log?.error({ err: error }, 'outbox relay run failed');
          return intervalMs;
        },
      )
      .then((delay) => {
        if (running) timer = setTimeout(loop, delay);
      });
  };

  return {
    runOnce,
    start() {
      if (running) return;
      running = true;
      loop();
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await inFlight;
    },
  };
}

/** BullMQ's failed reasons for a job whose worker died while holding it more often than allowed. */
const STALLED = /^job (stalled|started) more than allowable limit/;

/**
 * True for a failed job that may succeed if run again: it used every attempt (its failures were
 * retryable — an `UnrecoverableError` fails a job before its last attempt) or it failed because it
 * stalled (its worker was killed, shared/QUEUES.md). A job refused on purpose is not worn out.
 */
export function isWornOut(job: Pick<Job, 'attemptsMade' | 'opts' | 'failedReason'>): boolean {
  return job.attemptsMade >= (job.opts.attempts ?? 1) || STALLED.test(job.failedReason ?? '');
}

/** Retries a worn-out failed job from its first attempt; false when it is not (or no longer) one. */
async function retryWornOut(queue: Queue, id: string): Promise<boolean> {
  const job = await queue.getJob(id);
  if (!job || !isWornOut(job)) return false;
  try {
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return true;
  } catch {
    // Moved meanwhile (another relay retried it, or it was removed): looked at again next time.
    return false;
  }
}
