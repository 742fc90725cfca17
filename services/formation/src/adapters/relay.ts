import { createOutboxRelay, type OutboxRelay, type Pool, QUEUE_NAMES } from '@twincontour/platform';
import type { Logger } from 'pino';
import type { BoundaryQueues } from './queues.js';

/** Options of {@link createF2cRelay}. */
export interface F2cRelayOptions {
  pool: Pool;
  queues: BoundaryQueues;
  intervalMs?: number;
  redeliverAfterMs?: number;
  logger?: Logger;
}

/**
 * The outbox relay of the f2c hand-over (802-П прил. 1.3: the signed ED goes to control). It copies
 * committed outbox rows into queue f2c with the row id (`f2c-<orderId>`) as job id, acknowledges a row
 * once its job completed, and adds a job again when the boundary Redis lost it (DESIGN.md, Storage).
 */
export function createF2cRelay(options: F2cRelayOptions): OutboxRelay {
  return createOutboxRelay({
    pool: options.pool,
    queues: { [QUEUE_NAMES.f2c]: options.queues.f2c },
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    ...(options.redeliverAfterMs === undefined ? {} : { redeliverAfterMs: options.redeliverAfterMs }),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
