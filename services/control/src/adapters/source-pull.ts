import { type PaymentOrder, validatePaymentOrder } from '@twincontour/ufebs';
import type { Logger } from 'pino';
import { type SourceKey, sameSourceKey, sourceKeyOf } from '../domain/source-key.js';

/** Largest answer accepted from the back office (a payment order is a few KB). */
const MAX_ANSWER_BYTES = 256 * 1024;

/** Asks the back office for a primary document; undefined when it has none or cannot answer. */
export type SourcePull = (key: SourceKey) => Promise<PaymentOrder | undefined>;

/**
 * The pull of a missing primary document from the back office (TWINCONTOUR_SOURCE_PULL_URL): `GET
 * <url>?payerAccount=&docNo=&docDate=`, 200 with the PaymentOrder JSON or 404. The answer is checked as
 * strictly as a posted document (validatePaymentOrder) and must carry the very key asked for; anything
 * else counts as "not there" and is logged (`CTL_PULL_FAILED`), so the ED keeps waiting.
 */
export function createSourcePull(options: { url: string; timeoutMs: number; logger: Logger }): SourcePull {
  const { logger } = options;
  return async (key) => {
    const url = new URL(options.url);
    url.searchParams.set('payerAccount', key.payerAccount);
    url.searchParams.set('docNo', key.accDocNo);
    url.searchParams.set('docDate', key.accDocDate);
    const failed = (why: string) => {
      // The URL may carry credentials: log the reason and the document number only.
      logger.warn({ code: 'CTL_PULL_FAILED', docNo: key.accDocNo, docDate: key.accDocDate, why }, 'pull failed');
      return undefined;
    };
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      return failed(error instanceof Error ? error.name : 'error');
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      return failed(`status ${response.status}`);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      return failed(error instanceof Error ? error.name : 'error');
    }
    if (Buffer.byteLength(text, 'utf8') > MAX_ANSWER_BYTES) return failed('answer too large');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return failed('answer is not JSON');
    }
    const order = validatePaymentOrder(json);
    if (!order.ok) return failed(`answer fails the requisite checks (${order.errors?.length ?? 0} errors)`);
    const got = sourceKeyOf(order.value);
    if (!sameSourceKey(got, key)) return failed('answer is another document');
    return order.value;
  };
}
