import {
  createWorker,
  isExchangeStateJob,
  JobError,
  type OrderStage,
  type Pool,
  parseBoundaryPayload,
  processOnce,
  QUEUE_NAMES,
  type RedisConnection,
  type StatusPayload,
} from '@twincontour/platform';
import type { Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { recordExchangeState } from '../adapters/exchange-state.js';
import type { FormationMetrics } from '../adapters/metrics.js';
import { applyStatus } from '../adapters/order-store.js';

/** The consumer name under which c2f messages are recorded in processed_messages. */
export const C2F_CONSUMER = 'formation-c2f';

/**
 * Stages control may report to formation: its own and those it relays from transport. Formation's own
 * stages never come from another contour: a c2f message claiming one is refused.
 */
const REPORTABLE: ReadonlySet<OrderStage> = new Set<OrderStage>([
  'controlled',
  'signed-by-control',
  'rejected-by-control',
  'sent',
  'accepted-by-cbr',
  'executed',
  'rejected-by-transport',
  'rejected-by-cbr',
  'annulled',
]);

/** What the c2f processor needs. */
export interface C2fDeps {
  pool: Pool;
  logger: Logger;
  metrics: FormationMetrics;
}

/** What one status message did. */
export type C2fResult = { duplicate: true } | { duplicate: false; inserted: boolean; status: OrderStage };

/**
 * Applies one c2f job: validates the payload against the boundary contract (the other contour may be
 * compromised: boundary.ts), then records the stage once per message id ({@link processOnce}) and once
 * per (order, stage). A payload that breaks the contract, names an unknown order or another ED, or
 * claims one of formation's own stages is refused without retry (`JobError`, not retryable) and
 * changes nothing.
 */
export async function processStatusJob(
  deps: C2fDeps,
  data: unknown,
  attempt: { made: number; allowed: number } = { made: 0, allowed: 1 },
): Promise<C2fResult> {
  const parsed = parseBoundaryPayload('status', data);
  if (!parsed.ok) {
    deps.logger.warn({ event: 'security', code: parsed.code, errors: parsed.errors }, 'c2f payload refused');
    throw new JobError(parsed.code, parsed.message, { retryable: false });
  }
  const payload: StatusPayload = parsed.value;
  const log = deps.logger.child({ messageId: payload.messageId, orderId: payload.orderId });
  if (Number.isNaN(Date.parse(payload.at))) {
    log.warn({ event: 'security', code: 'QUE_BAD_PAYLOAD' }, 'c2f payload refused: at is not a time');
    throw new JobError('QUE_BAD_PAYLOAD', 'payload.at is not an ISO 8601 time', { retryable: false });
  }
  if (!REPORTABLE.has(payload.stage)) {
    log.warn({ event: 'security', code: 'FRM_STATUS_STAGE_NOT_ALLOWED', stage: payload.stage }, 'c2f stage refused');
    throw new JobError('FRM_STATUS_STAGE_NOT_ALLOWED', `stage ${payload.stage} is formation's own`, {
      retryable: false,
    });
  }
  // A report that overtook its predecessor waits (BullMQ retries with back-off) while attempts remain;
  // on the last one it is recorded anyway: a stage is never lost for the sake of order.
  const lastAttempt = attempt.made + 1 >= attempt.allowed;
  const outcome = await processOnce(deps.pool, C2F_CONSUMER, payload.messageId, async (client) => {
    const applied = await applyStatus(client, payload, { inOrder: !lastAttempt });
    if (applied.kind === 'early') {
      throw new JobError('FRM_STATUS_EARLY', `waiting for ${applied.waitingFor} before ${payload.stage}`, {
        retryable: true,
      });
    }
    if (applied.kind === 'unknown-order') {
      throw new JobError('FRM_STATUS_ORDER_UNKNOWN', 'the status names an order formation does not have', {
        retryable: false,
      });
    }
    if (applied.kind === 'ed-mismatch') {
      throw new JobError('FRM_STATUS_ED_MISMATCH', "the status carries another ED identity than the order's", {
        retryable: false,
      });
    }
    return applied;
  }).catch((error: unknown) => {
    if (error instanceof JobError && !error.retryable) {
      log.warn({ event: 'security', code: error.code }, 'c2f status refused');
    }
    throw error;
  });
  if (outcome.duplicate) {
    log.info({ stage: payload.stage }, 'c2f status already applied');
    return { duplicate: true };
  }
  const { inserted, status, createdAt } = outcome.value;
  if (inserted) {
    deps.metrics.stageLatency.observe(
      { stage: payload.stage },
      Math.max(0, (Date.parse(payload.at) - createdAt.getTime()) / 1000),
    );
    if (payload.stage === 'rejected-by-control') {
      deps.metrics.controlFailures.inc({ code: payload.code ?? 'UNSPECIFIED' });
    }
  }
  const refused = payload.stage.startsWith('rejected-') || payload.stage === 'annulled';
  log[refused ? 'warn' : 'info'](
    { stage: payload.stage, code: payload.code, status, inserted },
    refused ? 'order refused downstream' : 'order stage recorded',
  );
  return { duplicate: false, inserted, status };
}

/**
 * 802-П п. 19: transport's exchange-state message, passed on by control. Checked against the boundary
 * contract (a bad one is refused without retry), recorded once per message id and only when newer than the
 * state held: POST /v1/payment-orders refuses new orders with 503 EXCHANGE_SUSPENDED while it is not running.
 */
export async function processExchangeStateJob(
  deps: C2fDeps,
  data: unknown,
): Promise<{ duplicate: boolean; recorded: boolean }> {
  const parsed = parseBoundaryPayload('exchange', data);
  if (!parsed.ok || parsed.value.messageId !== `c2f-exchange-${parsed.value.seq}`) {
    const code = parsed.ok ? 'QUE_BAD_PAYLOAD' : parsed.code;
    deps.logger.warn({ event: 'security', code }, 'c2f exchange-state payload refused');
    throw new JobError(code, 'the exchange-state payload does not match the boundary contract', { retryable: false });
  }
  const message = parsed.value;
  const outcome = await processOnce(deps.pool, C2F_CONSUMER, message.messageId, (client) =>
    recordExchangeState(client, message),
  );
  const recorded = !outcome.duplicate && outcome.value;
  if (recorded) {
    deps.logger.warn(
      { event: 'incident', state: message.state, seq: message.seq, incidentId: message.incidentId },
      message.state === 'running'
        ? 'exchange running: orders accepted again'
        : 'exchange suspended: new orders refused',
    );
  }
  return { duplicate: outcome.duplicate, recorded };
}

/** One c2f job: an exchange-state message or an order status. */
export function processC2fJob(
  deps: C2fDeps,
  data: unknown,
  attempt?: { made: number; allowed: number },
): Promise<unknown> {
  return isExchangeStateJob(data) ? processExchangeStateJob(deps, data) : processStatusJob(deps, data, attempt);
}

/** Options of {@link createC2fWorker}. */
export interface C2fWorkerOptions extends C2fDeps {
  connection: RedisConnection;
  /** `<prefix>-f2c`: the boundary's key prefix. */
  prefix: string;
  concurrency?: number;
  skipVersionCheck?: boolean;
}

/** The BullMQ worker on queue c2f. Close it on shutdown (`await worker.close()` lets jobs in flight finish). */
export function createC2fWorker(options: C2fWorkerOptions): Worker {
  const deps: C2fDeps = { pool: options.pool, logger: options.logger, metrics: options.metrics };
  return createWorker(
    QUEUE_NAMES.c2f,
    (job: Job) => processC2fJob(deps, job.data, { made: job.attemptsMade, allowed: job.opts.attempts ?? 1 }),
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 4,
      skipVersionCheck: options.skipVersionCheck ?? false,
      logger: options.logger,
    },
  );
}
