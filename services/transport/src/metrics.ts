import { createCollectedGauge } from '@twincontour/platform';
import { Counter, Histogram, type Metric, type Registry } from 'prom-client';

// Re-exported so the service's tests keep reading series from here.
export { seriesValue } from '@twincontour/platform';

/**
 * The transport service's metrics: prom-client metrics served by the app's own Prometheus registry
 * (`app.metricsRegistry`, platform app.ts). The worker metrics exist before the app does (the runtime
 * updates them), so they are created on no registry and registered by {@link registerTransportMetrics}.
 */

/** The metrics the workers update. */
export interface TransportMetrics {
  /** Refusals (of hand-overs and of answers) by TRN_* code. */
  failures: Counter<'code'>;
  /** Signatures that failed verification (control's КА and ЗК, the Bank of Russia's), by SIG_* code. */
  signatureFailures: Counter<'code'>;
  /** Delivery attempts by channel and result (`sent`, or the failure code). */
  deliveries: Counter<'channel' | 'result'>;
  /** Answers taken, by kind and stage. */
  answers: Counter<'kind' | 'stage'>;
  /** Seconds from control's `controlledAt` to `sent`. */
  deliveryLatency: Histogram<'channel'>;
}

/** Creates the metric objects (not yet registered: see {@link registerTransportMetrics}). */
export function createTransportMetrics(): TransportMetrics & { all: readonly Metric[] } {
  // `registers: []`: without it prom-client would put them on its process-wide global registry.
  const failures = new Counter({
    name: 'transport_failures_total',
    help: 'Hand-overs and answers refused by transport, by code.',
    labelNames: ['code'],
    registers: [],
  });
  const signatureFailures = new Counter({
    name: 'transport_signature_failures_total',
    help: 'Signatures (control КА and ЗК, Bank of Russia КА and ЗК) refused by transport, by SIG_* code.',
    labelNames: ['code'],
    registers: [],
  });
  const deliveries = new Counter({
    name: 'transport_deliveries_total',
    help: 'Delivery attempts by channel and result.',
    labelNames: ['channel', 'result'],
    registers: [],
  });
  const answers = new Counter({
    name: 'transport_answers_total',
    help: 'Answers of the Bank of Russia taken, by kind and stage.',
    labelNames: ['kind', 'stage'],
    registers: [],
  });
  const deliveryLatency = new Histogram({
    name: 'transport_delivery_latency_seconds',
    help: "Seconds from control's controlledAt to sent, by channel.",
    labelNames: ['channel'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [],
  });
  return {
    failures,
    signatureFailures,
    deliveries,
    answers,
    deliveryLatency,
    all: [failures, signatureFailures, deliveries, answers, deliveryLatency],
  };
}

/** Registers the worker metrics and the scrape-time gauges (queue depth, outbox backlog, messages by state). */
export function registerTransportMetrics(
  registry: Registry,
  metrics: ReturnType<typeof createTransportMetrics>,
  gauges: {
    queueDepths?: () => Promise<readonly { queue: string; depth: number }[]>;
    outboxPending?: () => Promise<number>;
    messagesByState?: () => Promise<readonly { state: string; count: number }[]>;
  },
): void {
  for (const metric of metrics.all) registry.registerMetric(metric);
  const { queueDepths, outboxPending, messagesByState } = gauges;
  if (queueDepths) {
    createCollectedGauge(registry, {
      name: 'transport_queue_depth',
      help: 'Jobs waiting, delayed or active, by queue.',
      labelNames: ['queue'],
      read: async () => (await queueDepths()).map((q) => ({ labels: { queue: q.queue }, value: q.depth })),
    });
  }
  if (outboxPending) {
    createCollectedGauge(registry, {
      name: 'transport_outbox_pending',
      help: 'Outbox rows (t2c) not yet acknowledged.',
      labelNames: [],
      read: async () => [{ labels: {}, value: await outboxPending() }],
    });
  }
  if (messagesByState) {
    createCollectedGauge(registry, {
      name: 'transport_messages',
      help: 'Messages by delivery state.',
      labelNames: ['state'],
      read: async () => (await messagesByState()).map((m) => ({ labels: { state: m.state }, value: m.count })),
    });
  }
}
