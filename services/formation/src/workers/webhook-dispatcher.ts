import type { Pool } from '@twincontour/platform';
import type { Logger } from 'pino';
import type { FormationMetrics } from '../adapters/metrics.js';
import { type ClaimedDelivery, claimDeliveries, markDelivered, markFailed } from '../adapters/webhook-store.js';
import {
  type Backoff,
  backoffDelayMs,
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
} from '../domain/webhooks.js';

/** What the dispatcher needs. */
export interface WebhookDispatcherOptions {
  pool: Pool;
  logger: Logger;
  metrics: FormationMetrics;
  /** The key the subscription secrets are sealed with (TWINCONTOUR_WEBHOOK_KEY). */
  key: Uint8Array;
  /** Pause between runs when idle. */
  intervalMs: number;
  /** Longest time one POST may take. */
  timeoutMs: number;
  backoff: Backoff;
  /** Deliveries posted at once (the claim size of one run). */
  concurrency: number;
  /** Default `() => new Date()`: the `t` of the signature. */
  clock?: () => Date;
  /** Default Math.random: the backoff jitter. */
  random?: () => number;
}

/** What one run did. */
export interface DispatchReport {
  claimed: number;
  delivered: number;
  retried: number;
  /** Deliveries whose subscription was removed while they were in flight. */
  dropped: number;
}

/** The stage-webhook delivery loop. */
export interface WebhookDispatcher {
  /** Claims and posts one batch of due deliveries. */
  runOnce(): Promise<DispatchReport>;
  /** Starts the loop (idempotent). */
  start(): void;
  /** Stops the loop and waits for the posts in flight (each bounded by the timeout). */
  stop(): Promise<void>;
}

type Attempt = { ok: true; status: number } | { ok: false; status?: number; error: string };

/** A short, secret-free name of a network failure (fetch wraps the system error in `cause`). */
function failureName(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  return 'network error';
}

/**
 * Creates the dispatcher of the webhook outbox (4600-У п. 2.2.3: the sender is told each stage).
 * Each run claims due deliveries (the earliest undelivered stage of each subscription and order, under a
 * lease: several formation processes share the work through `FOR UPDATE SKIP LOCKED`), POSTs each body
 * signed with its subscription's secret, and records the answer: 2xx delivers it (and frees the next
 * stage of that order for that receiver); anything else, a timeout or a network error schedules a retry
 * with exponential backoff and jitter — for as long as the subscription exists, so nothing is lost.
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const clock = options.clock ?? (() => new Date());
  const random = options.random ?? Math.random;
  const log = options.logger.child({ component: 'webhook-dispatcher' });
  const outcomes = options.metrics.webhookDeliveries;
  // A lease outlives the POST it covers (bounded by the timeout) with room for the database round trips;
  // a process that died mid-delivery gives its rows back when it runs out.
  const leaseMs = options.timeoutMs + 30_000;

  const post = async (delivery: ClaimedDelivery, secret: string): Promise<Attempt> => {
    const t = Math.floor(clock().getTime() / 1000);
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'TwinContour-formation-webhooks/1',
          [DELIVERY_HEADER]: delivery.id,
          [SIGNATURE_HEADER]: signatureHeader(secret, t, delivery.body),
        },
        body: delivery.body,
        // A redirect is not an acceptance: the subscription names the receiver.
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      // The answer's body is not read; dropping it frees the connection.
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      return { ok: false, status: response.status, error: `HTTP ${response.status}` };
    } catch (error) {
      return { ok: false, error: failureName(error) };
    }
  };

  const gone = async (delivery: ClaimedDelivery, dlog: Logger): Promise<'dropped' | 'lease-lost'> => {
    const exists = await options.pool.query('select 1 from webhook_deliveries where id = $1', [delivery.id]);
    if (exists.rowCount === 0) {
      outcomes.inc({ outcome: 'dropped' });
      dlog.info({ event: 'webhook-delivery', outcome: 'dropped' }, 'subscription removed; delivery dropped');
      return 'dropped';
    }
    // Another process took the row after this one's lease ran out; its answer counts.
    dlog.warn({ event: 'webhook-delivery', outcome: 'lease-lost' }, 'delivery lease expired before the answer');
    return 'lease-lost';
  };

  const deliver = async (delivery: ClaimedDelivery): Promise<'delivered' | 'retried' | 'dropped' | 'lease-lost'> => {
    const dlog = log.child({
      deliveryId: delivery.id,
      subscriptionId: delivery.subscriptionId,
      orderId: delivery.orderId,
      stage: delivery.stage,
      attempt: delivery.attempt,
    });
    const delayMs = backoffDelayMs(delivery.attempt, options.backoff, random);
    if (delivery.secret === undefined) {
      // Unsigned deliveries are never sent: the receiver could not tell them from forgeries.
      outcomes.inc({ outcome: 'unsigned' });
      dlog.error(
        { event: 'webhook-delivery', code: 'FRM_WEBHOOK_SECRET_UNREADABLE', nextAttemptInMs: delayMs },
        'webhook secret does not open under the configured key; delivery postponed',
      );
      const kept = await markFailed(options.pool, delivery, {
        error: 'FRM_WEBHOOK_SECRET_UNREADABLE',
        delayMs,
      });
      return kept ? 'retried' : gone(delivery, dlog);
    }
    const attempt = await post(delivery, delivery.secret);
    if (attempt.ok) {
      if (!(await markDelivered(options.pool, delivery, attempt.status))) return gone(delivery, dlog);
      outcomes.inc({ outcome: 'delivered' });
      dlog.info({ event: 'webhook-delivery', outcome: 'delivered', status: attempt.status }, 'webhook delivered');
      return 'delivered';
    }
    const kept = await markFailed(options.pool, delivery, {
      ...(attempt.status === undefined ? {} : { status: attempt.status }),
      error: attempt.error,
      delayMs,
    });
    if (!kept) return gone(delivery, dlog);
    outcomes.inc({ outcome: 'retry' });
    dlog.warn(
      {
        event: 'webhook-delivery',
        outcome: 'retry',
        code: 'FRM_WEBHOOK_DELIVERY_FAILED',
        status: attempt.status,
        error: attempt.error,
        nextAttemptInMs: delayMs,
      },
      'webhook not accepted; will retry',
    );
    return 'retried';
  };

  const runOnce = async (): Promise<DispatchReport> => {
    const claimed = await claimDeliveries(options.pool, options.key, options.concurrency, leaseMs);
    const report: DispatchReport = { claimed: claimed.length, delivered: 0, retried: 0, dropped: 0 };
    // At most one row per (subscription, order) is claimed at a time, so posting them together keeps order.
    const results = await Promise.all(claimed.map((d) => deliver(d)));
    for (const r of results) {
      if (r === 'delivered') report.delivered += 1;
      else if (r === 'retried') report.retried += 1;
      else if (r === 'dropped') report.dropped += 1;
    }
    return report;
  };

  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  const loop = (): void => {
    if (!running) return;
    inFlight = runOnce()
      .then(
        (report) => (report.claimed >= options.concurrency ? 0 : options.intervalMs),
        (error: unknown) => {
          log.error({ err: error }, 'webhook dispatcher run failed');
          return options.intervalMs;
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
