import type { AuditLog } from '@twincontour/audit';
import type { CertificateValidator } from '@twincontour/crypto';
import {
  createLoop,
  createOutboxRelay,
  createQueue,
  createWorker,
  type Loop,
  type OutboxRelay,
  type Pool,
  QUEUE_NAMES,
  type RedisConnection,
} from '@twincontour/platform';
import type { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { TransportArchive } from './adapters/archive-repository.js';
import type { DeliveryAdapter } from './adapters/delivery/types.js';
import type { SigMode } from './domain/handover.js';
import type { createTransportMetrics } from './metrics.js';
import { type AnswerProcessor, createAnswerProcessor } from './workers/answer-processor.js';
import { type C2tProcessor, createC2tProcessor } from './workers/c2t-processor.js';
import { createDeliverySweeper, DELIVERY_SWEEP_MS } from './workers/delivery-sweeper.js';

/** Everything the background side of the service needs. */
export interface TransportRuntimeOptions {
  pool: Pool;
  logger: Logger;
  validator: CertificateValidator;
  /** The service's audit log (signature checks, refusals, deliveries, answers). */
  audit: AuditLog;
  /** The five-year archive the processors write to (802-П п. 11). */
  archive: TransportArchive;
  metrics: ReturnType<typeof createTransportMetrics>;
  adapter: DeliveryAdapter;
  /** The control↔transport Redis (c2t, t2c). */
  c2tRedis: RedisConnection;
  /** TWINCONTOUR_QUEUE_PREFIX; the boundary uses `<prefix>-c2t`. */
  queuePrefix: string;
  sigMode: SigMode;
  acceptCodes: ReadonlySet<string>;
  /** Pause between two looks for answers (ARM_POLL_MS for arm-kbr, ANSWER_POLL_MS otherwise). */
  answerPollMs: number;
  c2tConcurrency: number;
  /** Outbox relay timing (tests shorten it). */
  relayIntervalMs?: number;
  relayRedeliverAfterMs?: number;
}

/** The running background side: queues, the c2t worker, the t2c relay and the answer loop. */
export interface TransportRuntime {
  c2t: C2tProcessor;
  answers: AnswerProcessor;
  queues: { c2t: Queue; t2c: Queue };
  /** Starts the worker, the relay and the answer loop. */
  start(): void;
  /** Depth (waiting, delayed, active, prioritized) of each queue, for the gauge. */
  queueDepths(): Promise<{ queue: string; depth: number }[]>;
  /** Graceful stop: the worker finishes its jobs in flight, then the loop and relay stop, then the queues and the channel close. */
  close(): Promise<void>;
}

/**
 * Wires transport's background side on the control↔transport Redis (prefix `<prefix>-c2t`): the c2t
 * worker, the outbox relay of t2c statuses, and the loop that fetches the Bank of Russia's answers.
 */
export function createTransportRuntime(options: TransportRuntimeOptions): TransportRuntime {
  const { pool, logger } = options;
  const prefix = `${options.queuePrefix}-c2t`;
  const queues = {
    c2t: createQueue(QUEUE_NAMES.c2t, options.c2tRedis, prefix),
    t2c: createQueue(QUEUE_NAMES.t2c, options.c2tRedis, prefix),
  };
  const c2t = createC2tProcessor({
    pool,
    validator: options.validator,
    sigMode: options.sigMode,
    adapter: options.adapter,
    logger,
    metrics: options.metrics,
    audit: options.audit,
    archive: options.archive,
  });
  const answers = createAnswerProcessor({
    pool,
    validator: options.validator,
    acceptCodes: options.acceptCodes,
    adapter: options.adapter,
    logger,
    metrics: options.metrics,
    audit: options.audit,
    archive: options.archive,
  });
  const relay: OutboxRelay = createOutboxRelay({
    pool,
    queues: { [QUEUE_NAMES.t2c]: queues.t2c },
    logger,
    ...(options.relayIntervalMs === undefined ? {} : { intervalMs: options.relayIntervalMs }),
    ...(options.relayRedeliverAfterMs === undefined ? {} : { redeliverAfterMs: options.relayRedeliverAfterMs }),
  });
  const answerLoop: Loop = createLoop('answers', () => answers.poll(), options.answerPollMs, logger);
  // Messages left `delivering` by a job that gave up or a worker that died are re-driven (issue 8).
  const sweeper = createDeliverySweeper({ pool, logger, redeliver: (orderId) => c2t.redeliver(orderId) });
  const sweepLoop: Loop = createLoop('delivery-sweeper', () => sweeper.sweep(), DELIVERY_SWEEP_MS, logger);
  let worker: Worker | undefined;

  return {
    c2t,
    answers,
    queues,
    start() {
      worker = createWorker(QUEUE_NAMES.c2t, (job) => c2t.handleC2t(job.data, String(job.id)), {
        connection: options.c2tRedis,
        prefix,
        concurrency: options.c2tConcurrency,
        logger,
      });
      relay.start();
      answerLoop.start();
      sweepLoop.start();
    },
    async queueDepths() {
      return Promise.all(
        Object.entries(queues).map(async ([name, queue]) => {
          const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
          return { queue: name, depth: Object.values(counts).reduce((a, b) => a + b, 0) };
        }),
      );
    },
    async close() {
      // The worker first: close() lets the jobs in flight finish, so their state and outbox rows commit.
      await worker?.close();
      await sweepLoop.stop();
      await answerLoop.stop();
      await relay.stop();
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await options.adapter.close();
    },
  };
}
