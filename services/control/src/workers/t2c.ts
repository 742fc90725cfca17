import {
  addToOutbox,
  type ExchangeStatePayload,
  isExchangeStateJob,
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
  /**
   * 802-П п. 19: transport's exchange-state message (suspended, resumed …) goes to formation unchanged but
   * for its message id (`c2f-exchange-<seq>`): formation refuses new orders while the exchange is stopped.
   */
  async function forwardExchangeState(data: unknown, jobId: string): Promise<'forwarded' | 'duplicate-message'> {
    const parsed = parseBoundaryPayload('exchange', data);
    if (!parsed.ok || parsed.value.messageId !== `t2c-exchange-${parsed.value.seq}`) {
      const code = parsed.ok ? 'QUE_BAD_PAYLOAD' : parsed.code;
      logger.warn({ event: 'security', code, jobId }, 't2c exchange-state payload refused');
      throw new JobError(code, 'the exchange-state payload does not match the boundary contract', {
        retryable: false,
      });
    }
    const state = parsed.value;
    const result = await processOnce(pool, T2C_CONSUMER, state.messageId, async (client) => {
      const forward: ExchangeStatePayload = { ...state, messageId: `c2f-exchange-${state.seq}` };
      const added = await addToOutbox(client, { id: forward.messageId, queue: QUEUE_NAMES.c2f, payload: forward });
      if (!added.ok) throw new JobError(added.code, added.message, { retryable: false });
    });
    if (!result.duplicate) {
      logger.warn(
        { event: 'incident', state: state.state, seq: state.seq, incidentId: state.incidentId },
        'exchange state passed to formation',
      );
    }
    return result.duplicate ? 'duplicate-message' : 'forwarded';
  }

  return async (data: unknown, jobId: string): Promise<'forwarded' | 'duplicate-message'> => {
    if (isExchangeStateJob(data)) return forwardExchangeState(data, jobId);
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
