import type { AuditLog } from '@twincontour/audit';
import type { CertificateValidator, Signer } from '@twincontour/crypto';
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
import { type AlertDelivery, createAlertDelivery } from './adapters/alert-delivery.js';
import { countPending } from './adapters/decision-repository.js';
import { createSourcePull } from './adapters/source-pull.js';
import type { SigMode } from './domain/seal.js';
import type { createControlMetrics } from './metrics.js';
import { type ControlProcessor, createControlProcessor } from './workers/control-processor.js';
import { createT2cHandler } from './workers/t2c.js';

/** Everything the background side of the service needs. */
export interface ControlRuntimeOptions {
  pool: Pool;
  logger: Logger;
  validator: CertificateValidator;
  signer: Signer;
  /** The service's audit log (checks, decisions, signatures). */
  audit: AuditLog;
  metrics: ReturnType<typeof createControlMetrics>;
  /** The formation↔control Redis (f2c, c2f) and the control↔transport Redis (c2t, t2c). */
  f2cRedis: RedisConnection;
  c2tRedis: RedisConnection;
  /** TWINCONTOUR_QUEUE_PREFIX; the boundaries use `<prefix>-f2c` and `<prefix>-c2t`. */
  queuePrefix: string;
  sigMode: SigMode;
  sigId?: string | undefined;
  sourceWaitMs: number;
  sourceRecheckMs: number;
  sourcePullUrl?: string | undefined;
  sourcePullTimeoutMs: number;
  duplicateWindowHours: number;
  securityWebhookUrl?: string | undefined;
  alertRetryBaseMs: number;
  alertRetryMaxMs: number;
  f2cConcurrency: number;
  /** Outbox relay timing (tests shorten it). */
  relayIntervalMs?: number;
  relayRedeliverAfterMs?: number;
  /** Alert loop pause (tests shorten it). */
  alertIntervalMs?: number;
}

/** The running background side: queues, workers, relays and loops. */
export interface ControlRuntime {
  processor: ControlProcessor;
  queues: { f2c: Queue; c2f: Queue; c2t: Queue; t2c: Queue };
  /** Starts the workers, relays and loops. */
  start(): void;
  /** Wakes the sweeper of waiting EDs (a primary document was just stored). */
  nudgeSweeper(): void;
  /** Depth (waiting, delayed, active, prioritized) of each queue, for the gauge. */
  queueDepths(): Promise<{ queue: string; depth: number }[]>;
  pendingEds(): Promise<number>;
  alertDelivery: AlertDelivery | undefined;
  /** Graceful stop: workers finish their jobs in flight, then loops and relays stop, then queues close. */
  close(): Promise<void>;
}

/**
 * Wires control's background side. Each boundary has its own Redis connection options and key prefix
 * (`<prefix>-f2c`, `<prefix>-c2t`), so queues of the same name on one Redis never mix and the two
 * boundaries can be two Redis servers (DESIGN.md: one Redis per boundary). Two outbox relays serve
 * the one outbox table: c2f on the f2c Redis, c2t on the c2t Redis.
 */
export function createControlRuntime(options: ControlRuntimeOptions): ControlRuntime {
  const { pool, logger } = options;
  const f2cPrefix = `${options.queuePrefix}-f2c`;
  const c2tPrefix = `${options.queuePrefix}-c2t`;
  const queues = {
    f2c: createQueue(QUEUE_NAMES.f2c, options.f2cRedis, f2cPrefix),
    c2f: createQueue(QUEUE_NAMES.c2f, options.f2cRedis, f2cPrefix),
    c2t: createQueue(QUEUE_NAMES.c2t, options.c2tRedis, c2tPrefix),
    t2c: createQueue(QUEUE_NAMES.t2c, options.c2tRedis, c2tPrefix),
  };

  const alertDelivery = options.securityWebhookUrl
    ? createAlertDelivery({
        pool,
        url: options.securityWebhookUrl,
        logger,
        retryBaseMs: options.alertRetryBaseMs,
        retryMaxMs: options.alertRetryMaxMs,
        ...(options.alertIntervalMs === undefined ? {} : { intervalMs: options.alertIntervalMs }),
        onFailure: () => options.metrics.controlFailures.inc({ code: 'CTL_ALERT_DELIVERY_FAILED' }),
      })
    : undefined;

  const processor = createControlProcessor({
    pool,
    validator: options.validator,
    signer: options.signer,
    sigMode: options.sigMode,
    sigId: options.sigId,
    waitMs: options.sourceWaitMs,
    recheckMs: options.sourceRecheckMs,
    duplicateWindowHours: options.duplicateWindowHours,
    pull: options.sourcePullUrl
      ? createSourcePull({ url: options.sourcePullUrl, timeoutMs: options.sourcePullTimeoutMs, logger })
      : undefined,
    alerts: alertDelivery !== undefined,
    logger,
    metrics: options.metrics,
    onAlert: () => alertDelivery?.nudge(),
    audit: options.audit,
  });

  const t2c = createT2cHandler({ pool, logger });
  let workers: Worker[] = [];
  const relayTiming = {
    ...(options.relayIntervalMs === undefined ? {} : { intervalMs: options.relayIntervalMs }),
    ...(options.relayRedeliverAfterMs === undefined ? {} : { redeliverAfterMs: options.relayRedeliverAfterMs }),
  };
  const relays: OutboxRelay[] = [
    createOutboxRelay({ pool, queues: { [QUEUE_NAMES.c2f]: queues.c2f }, logger, ...relayTiming }),
    createOutboxRelay({ pool, queues: { [QUEUE_NAMES.c2t]: queues.c2t }, logger, ...relayTiming }),
  ];
  const sweeper: Loop = createLoop(
    'pending-eds',
    async () => (await processor.sweep()) >= 20,
    options.sourceRecheckMs,
    logger,
  );

  return {
    processor,
    queues,
    alertDelivery,
    start() {
      workers = [
        createWorker(QUEUE_NAMES.f2c, (job) => processor.handleF2c(job.data, String(job.id)), {
          connection: options.f2cRedis,
          prefix: f2cPrefix,
          concurrency: options.f2cConcurrency,
          logger,
        }),
        createWorker(QUEUE_NAMES.t2c, (job) => t2c(job.data, String(job.id)), {
          connection: options.c2tRedis,
          prefix: c2tPrefix,
          logger,
        }),
      ];
      for (const relay of relays) relay.start();
      sweeper.start();
      alertDelivery?.start();
    },
    nudgeSweeper: () => sweeper.nudge(),
    async queueDepths() {
      return Promise.all(
        Object.entries(queues).map(async ([name, queue]) => {
          const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
          return { queue: name, depth: Object.values(counts).reduce((a, b) => a + b, 0) };
        }),
      );
    },
    pendingEds: () => countPending(pool),
    async close() {
      // Workers first: close() lets the jobs in flight finish, so their outbox rows commit.
      await Promise.all(workers.map((w) => w.close()));
      await sweeper.stop();
      await alertDelivery?.stop();
      await Promise.all(relays.map((r) => r.stop()));
      await Promise.all(Object.values(queues).map((q) => q.close()));
    },
  };
}
