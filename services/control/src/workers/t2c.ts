import {
  addToOutbox,
  JobError,
  type OrderStage,
  type Pool,
  parseBoundaryPayload,
  processOnce,
  QUEUE_NAMES,
  type StatusPayload,
} from '@twincontour/platform';
import type { Logger } from 'pino';

/** The consumer name under which t2c messages are recorded in `processed_messages`. */
export const T2C_CONSUMER = 'control-t2c';

/** Stages transport (and through it the Bank of Russia) may report; control's own stages never come back. */
export const TRANSPORT_STAGES: ReadonlySet<OrderStage> = new Set<OrderStage>([
  'sent',
  'accepted-by-cbr',
  'executed',
  'rejected-by-transport',
  'rejected-by-cbr',
  'annulled',
]);

/**
 * The t2c → c2f passthrough (DESIGN.md: statuses flow back the same line). A status from transport is
 * checked against the boundary contract, must be a transport stage of an order control handed to
 * transport (same ED identity), and is forwarded to formation unchanged but for its message id
 * (`c2f-<orderId>-<stage>`), through the outbox, at most once per message (processOnce). Anything else
 * is refused without retry and logged as a security event: a compromised transport cannot write
 * statuses of orders it never received.
 */
export function createT2cHandler(options: { pool: Pool; logger: Logger }) {
  const { pool, logger } = options;
  return async (data: unknown, jobId: string): Promise<'forwarded' | 'duplicate-message'> => {
    const parsed = parseBoundaryPayload('status', data);
    if (!parsed.ok) {
      logger.warn({ event: 'security', code: parsed.code, jobId, errors: parsed.errors }, 't2c payload refused');
      throw new JobError(parsed.code, parsed.message, { retryable: false });
    }
    const status = parsed.value;
    const refuse = (why: string): never => {
      logger.warn({ event: 'security', code: 'CTL_UNEXPECTED_STATUS', jobId, orderId: status.orderId, why }, why);
      throw new JobError('CTL_UNEXPECTED_STATUS', why, { retryable: false });
    };
    if (!TRANSPORT_STAGES.has(status.stage)) refuse(`stage ${status.stage} is not reported by transport`);
    const result = await processOnce(pool, T2C_CONSUMER, status.messageId, async (client) => {
      const known = await client.query(
        `select 1 from control_decisions
          where order_id = $1 and status = 'controlled' and ed_no = $2 and ed_date = $3 and ed_author = $4`,
        [status.orderId, status.ed.edNo, status.ed.edDate, status.ed.edAuthor],
      );
      if ((known.rowCount ?? 0) === 0) refuse('the order was never handed to transport by control');
      const forward: StatusPayload = { ...status, messageId: `c2f-${status.orderId}-${status.stage}` };
      const added = await addToOutbox(client, { id: forward.messageId, queue: QUEUE_NAMES.c2f, payload: forward });
      if (!added.ok) throw new JobError(added.code, added.message, { retryable: false });
    });
    return result.duplicate ? 'duplicate-message' : 'forwarded';
  };
}
