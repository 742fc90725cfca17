import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@twincontour/cli';
import type { PaymentOrder } from '@twincontour/ufebs';

// The back office under faults: each order's primary document goes to control and the order to formation
// (as `twincontour demo` does), both retried — with the same Idempotency-Key — until an answer that is not
// a network failure or a 5xx, as a real back office must when the gateway may die mid-request.

/** An order formation accepted (answered 2xx). */
export interface AcceptedOrder {
  index: number;
  orderId: string;
  ed: { edNo: string; edDate: string; edAuthor: string };
  /** How it must end: executed, or refused by control (its primary document differs on purpose). */
  expect: 'executed' | 'rejected-by-control';
}

/** What the stream did. */
export interface LoadReport {
  accepted: AcceptedOrder[];
  /** Orders formation answered with a 4xx (not accepted: they need no terminal state). */
  refusedAtIntake: { index: number; status: number; code: string }[];
  /** Orders given up on because the deadline passed before any definite answer. */
  unanswered: number[];
  /** Requests sent again after a network failure or a 5xx. */
  retries: number;
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  formationUrl: string;
  controlUrl: string;
  formationKey: string;
  controlKey: string;
  count: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Orders started per second (the stream is spread over the fault window). */
  ratePerSecond: number;
  /** Idempotency keys are `faults-<runId>-<index>`. */
  runId: string;
  /** Wall-clock time (ms) after which nothing is retried any more. */
  deadline: number;
  /** Called for each order formation accepted, as it happens. */
  onAccepted?: (order: AcceptedOrder) => void;
}

function moscowToday(): string {
  return new Date(Date.now() + 3 * 3600_000).toISOString().slice(0, 10);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

/**
 * POSTs until the gateway gives a definite answer: a 2xx or a 4xx. A network failure (the process was
 * killed), a timeout or a 5xx is retried with the same body and headers; undefined when the deadline passed.
 */
async function postUntilAnswered(
  url: string,
  key: string,
  body: unknown,
  headers: Record<string, string>,
  deadline: number,
  onRetry: () => void,
): Promise<Answer | undefined> {
  let pause = 200;
  for (;;) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `ApiKey ${key}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      if (response.status < 500) {
        let json: Record<string, unknown> = {};
        try {
          json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          json = { raw: text.slice(0, 200) };
        }
        return { status: response.status, json };
      }
    } catch {
      // Connection refused or reset: the service is down or was killed mid-request.
    }
    if (Date.now() + pause > deadline) return undefined;
    onRetry();
    await sleep(pause);
    pause = Math.min(pause * 2, 2000);
  }
}

/** The order of index `i`: the example order with its own document number (no two are duplicates). */
export function orderFor(index: number, date: string): PaymentOrder {
  const base = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', 'payment-order.json'), 'utf8')) as PaymentOrder;
  return { ...base, accDocNo: String(100000 + index), accDocDate: date, sum: String(100000 + index * 7) };
}

/**
 * One order in `MISMATCH_EVERY` goes with a primary document whose sum differs (802-П прил. 1.4): control must
 * refuse it, and the Bank of Russia must never see it, whatever dies meanwhile.
 */
export const MISMATCH_EVERY = 50;

/** The primary document the back office posts to control for order `index`. */
function sourceFor(order: PaymentOrder, index: number): PaymentOrder {
  return index % MISMATCH_EVERY === MISMATCH_EVERY - 1 ? { ...order, sum: String(BigInt(order.sum) + 100n) } : order;
}

/** Runs the stream; resolves when every order has a definite answer or the deadline passed. */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const report: LoadReport = { accepted: [], refusedAtIntake: [], unanswered: [], retries: 0 };
  const date = moscowToday();
  const started = Date.now();
  let next = 0;
  const onRetry = () => {
    report.retries++;
  };

  async function one(index: number): Promise<void> {
    const order = orderFor(index, date);
    const source = await postUntilAnswered(
      `${options.controlUrl}/v1/source-documents`,
      options.controlKey,
      sourceFor(order, index),
      {},
      options.deadline,
      onRetry,
    );
    if (source === undefined) {
      report.unanswered.push(index);
      return;
    }
    if (source.status !== 201 && source.status !== 200) {
      throw new Error(`FAULTS_SOURCE_REFUSED: order ${index}: ${source.status} ${JSON.stringify(source.json)}`);
    }
    const answer = await postUntilAnswered(
      `${options.formationUrl}/v1/payment-orders`,
      options.formationKey,
      order,
      { 'idempotency-key': `faults-${options.runId}-${index}` },
      options.deadline,
      onRetry,
    );
    if (answer === undefined) {
      report.unanswered.push(index);
      return;
    }
    if (answer.status === 201 || answer.status === 200) {
      const view = answer.json as { id?: string; ed?: AcceptedOrder['ed'] };
      if (typeof view.id !== 'string' || !view.ed) throw new Error(`FAULTS_BAD_ANSWER: ${JSON.stringify(view)}`);
      const accepted: AcceptedOrder = {
        index,
        orderId: view.id,
        ed: view.ed,
        expect: index % MISMATCH_EVERY === MISMATCH_EVERY - 1 ? 'rejected-by-control' : 'executed',
      };
      report.accepted.push(accepted);
      options.onAccepted?.(accepted);
    } else {
      report.refusedAtIntake.push({ index, status: answer.status, code: String(answer.json.code ?? '') });
    }
  }

  async function worker(): Promise<void> {
    for (;;) {
      const index = next++;
      if (index >= options.count) return;
      const due = started + (index * 1000) / options.ratePerSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      await one(index);
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  return report;
}
