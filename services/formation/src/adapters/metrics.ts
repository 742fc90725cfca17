import { createCollectedGauge, type GaugeSample } from '@twincontour/platform';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';

// Re-exported so the service's modules and tests keep importing them from here.
export { type GaugeSample, seriesValue } from '@twincontour/platform';

/**
 * The formation service's Prometheus metrics: prom-client metrics registered on the app's own registry
 * (`app.metricsRegistry`, platform app.ts), so `/metrics` serves them with the HTTP metrics and the
 * registry's default `service` label.
 */

/** Where the scrape-time gauges read from. */
export interface DepthSources {
  /** Jobs per queue and state on the f2c boundary Redis. */
  queueDepth(): Promise<readonly GaugeSample<'queue' | 'state'>[]>;
  /** Unacknowledged outbox rows per queue and the age of the oldest. */
  outboxBacklog(): Promise<readonly { queue: string; pending: number; oldestAgeSeconds: number }[]>;
  /** Undelivered webhook deliveries and the age of the oldest. */
  webhookBacklog(): Promise<{ pending: number; oldestAgeSeconds: number }>;
}

/** The metrics the service updates. */
export interface FormationMetrics {
  /** POST outcomes: created, replayed, conflict, invalid, refused, backpressure. */
  orders: Counter<'outcome'>;
  /** Time from acceptance to each stage (formation's own and those reported back). */
  stageLatency: Histogram<'stage'>;
  /** Formation's ЗК could not be made or did not verify, by SIG_* code. */
  signatureFailures: Counter<'code'>;
  /** Refusals reported by control (rejected-by-control), by CTL_* code. */
  controlFailures: Counter<'code'>;
  /** Requisite failures of refused orders, by UFEBS_* field code. */
  requisiteFailures: Counter<'code'>;
  /** Webhook delivery attempts by outcome: delivered, retry, dropped (subscription removed), unsigned (secret unreadable). */
  webhookDeliveries: Counter<'outcome'>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600];

/** Creates the service's metrics and registers them (and the scrape-time gauges) on the app's registry. */
export function registerFormationMetrics(app: FastifyInstance, sources: DepthSources): FormationMetrics {
  const registers = [app.metricsRegistry];

  /** A gauge whose samples are read from a dependency when Prometheus scrapes. */
  const collectedGauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: () => Promise<readonly GaugeSample<L>[]>,
  ): void => {
    createCollectedGauge(app.metricsRegistry, {
      name,
      help,
      labelNames,
      read,
      // A dependency that does not answer must not take /metrics down with it; /ready reports it.
      onError: (error) => app.log.warn({ err: error }, 'metrics collection failed'),
    });
  };

  collectedGauge(
    'formation_queue_jobs',
    'Jobs per queue and state on the formation↔control boundary Redis (collected on scrape).',
    ['queue', 'state'],
    () => sources.queueDepth(),
  );
  collectedGauge(
    'formation_outbox_pending',
    'Outbox rows not yet acknowledged by the consumer, per queue (collected on scrape).',
    ['queue'],
    async () => (await sources.outboxBacklog()).map((b) => ({ labels: { queue: b.queue }, value: b.pending })),
  );
  collectedGauge(
    'formation_outbox_oldest_seconds',
    'Age of the oldest unacknowledged outbox row, per queue (collected on scrape).',
    ['queue'],
    async () => (await sources.outboxBacklog()).map((b) => ({ labels: { queue: b.queue }, value: b.oldestAgeSeconds })),
  );

  collectedGauge(
    'formation_webhook_pending',
    'Webhook deliveries not yet accepted by their receiver (collected on scrape).',
    [],
    async () => [{ labels: {}, value: (await sources.webhookBacklog()).pending }],
  );
  collectedGauge(
    'formation_webhook_oldest_seconds',
    'Age of the oldest undelivered webhook delivery (collected on scrape).',
    [],
    async () => [{ labels: {}, value: (await sources.webhookBacklog()).oldestAgeSeconds }],
  );

  return {
    orders: new Counter({
      name: 'formation_orders_total',
      help: 'POST /v1/payment-orders outcomes.',
      labelNames: ['outcome'],
      registers,
    }),
    stageLatency: new Histogram({
      name: 'formation_stage_latency_seconds',
      help: 'Seconds from acceptance of an order to each stage it reached.',
      labelNames: ['stage'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    signatureFailures: new Counter({
      name: 'formation_signature_failures_total',
      help: "Formation's ЗК that could not be made or did not verify, by code.",
      labelNames: ['code'],
      registers,
    }),
    controlFailures: new Counter({
      name: 'formation_control_failures_total',
      help: 'Orders refused by the control contour, by code.',
      labelNames: ['code'],
      registers,
    }),
    requisiteFailures: new Counter({
      name: 'formation_requisite_failures_total',
      help: 'Field errors of orders refused by requisite control, by code.',
      labelNames: ['code'],
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'formation_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry, dropped, unsigned).',
      labelNames: ['outcome'],
      registers,
    }),
  };
}
