import type { Pool } from '@twincontour/platform';
import type { Logger } from 'pino';
import { findStalledDeliveries } from '../adapters/message-repository.js';
import type { C2tOutcome } from './c2t-processor.js';

/** How often the sweeper looks for stalled deliveries. */
export const DELIVERY_SWEEP_MS = 5_000;
/**
 * How long a message without a lease stays untouched before the sweeper takes it: longer than the back-off
 * between two attempts of its c2t job (1, 2, 4, 8 s with the platform's defaults), so that a job still
 * retrying keeps its message and the sweeper only takes what no job will deliver any more.
 */
export const DELIVERY_GRACE_MS = 30_000;

/** Options of {@link createDeliverySweeper}. */
export interface DeliverySweeperOptions {
  pool: Pool;
  logger: Logger;
  /** The c2t processor's re-drive: the stored bytes under a new lease, completed like a job's delivery. */
  redeliver(orderId: string): Promise<C2tOutcome | undefined>;
  graceMs?: number;
  /** Messages looked at per run; default 20. */
  batch?: number;
}

/** The stable code of a processor error (a coded JobError), if it has one. */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The delivery sweeper (issue 8: exactly-once effect at the Bank of Russia boundary). A message is
 * recorded `delivering`, with the exact wire bytes, before its first attempt. Its c2t job may stop
 * before it is `sent`: every attempt failed while the channel was down longer than the back-off, or its
 * worker was killed holding the lease and the job then failed as stalled. Nothing else would ever deliver
 * such a message, and control's outbox row would wait forever.
 *
 * Each run takes the messages still `delivering` with no live lease, untouched for the grace period, and
 * re-drives each through the processor's own delivery path: a new lease (one deliverer at a time), the
 * same stored wire bytes under the same ED identity — which the channel treats as the same delivery
 * (https: `X-Ed-Ref` with the same envelope is answered as a replay; arm-kbr: the same file name and
 * content) — then `sent`, the archive, the t2c status and processed_messages in one transaction, once.
 * A failed attempt gives the message back (looked at again after the grace); the run stops at the first
 * channel failure, since the others would fail the same way.
 */
export function createDeliverySweeper(options: DeliverySweeperOptions) {
  const { pool, logger } = options;
  const graceMs = options.graceMs ?? DELIVERY_GRACE_MS;
  const batch = options.batch ?? 20;

  /** One run; true when a full batch was found (run again at once). */
  async function sweep(): Promise<boolean> {
    const due = await findStalledDeliveries(pool, { graceMs, limit: batch });
    for (const orderId of due) {
      try {
        const outcome = await options.redeliver(orderId);
        if (outcome?.kind === 'sent')
          logger.warn({ orderId, reference: outcome.reference }, 'stalled delivery re-driven');
      } catch (error) {
        const code = codeOf(error);
        // Another deliverer holds it now: it is in hand.
        if (code === 'TRN_DELIVERY_BUSY') continue;
        logger.warn({ orderId, code, err: error }, 'stalled delivery could not be re-driven yet');
        return false;
      }
    }
    return due.length >= batch;
  }

  return { sweep };
}

/** The delivery sweeper. */
export type DeliverySweeper = ReturnType<typeof createDeliverySweeper>;
