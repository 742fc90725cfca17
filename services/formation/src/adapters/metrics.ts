import type { FastifyInstance } from 'fastify';

/**
 * The formation service's Prometheus metrics, registered on the app's own registry
 * (`app.metricsRegistry`, platform app.ts) so `/metrics` serves them with the HTTP metrics.
 *
 * The registry accepts any object with a `name` and a `get()` returning prom-client's metric shape
 * (`{ name, help, type, values, aggregator }`). prom-client itself is a dependency of the platform, not
 * of this service (pnpm does not let a service import it), so the three small metric kinds the service
 * needs are written here against that shape.
 */

type Labels<L extends string> = Readonly<Record<L, string>>;

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: MetricValue[];
  aggregator: 'sum';
}

/** A metric the registry can serve. */
interface RegistryMetric {
  readonly name: string;
  get(): Promise<MetricSnapshot>;
  reset(): void;
}

/** A counter with labels. */
export interface LabeledCounter<L extends string> {
  inc(labels: Labels<L>, by?: number): void;
  /** The current value for one label set (0 when never incremented). */
  value(labels: Labels<L>): number;
}

/** A histogram with labels (seconds). */
export interface LabeledHistogram<L extends string> {
  observe(labels: Labels<L>, seconds: number): void;
  /** How many observations one label set has. */
  count(labels: Labels<L>): number;
}

/** One sample of a gauge collected on scrape. */
export interface GaugeSample<L extends string> {
  labels: Labels<L>;
  value: number;
}

const keyOf = (labels: Readonly<Record<string, string>>): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function counter<L extends string>(name: string, help: string): LabeledCounter<L> & RegistryMetric {
  const values = new Map<string, { labels: Labels<L>; value: number }>();
  return {
    name,
    inc(labels, by = 1) {
      const key = keyOf(labels);
      const entry = values.get(key) ?? { labels: { ...labels }, value: 0 };
      entry.value += by;
      values.set(key, entry);
    },
    value: (labels) => values.get(keyOf(labels))?.value ?? 0,
    async get() {
      const out = [...values.values()].map((v) => ({ labels: { ...v.labels }, value: v.value }));
      return { name, help, type: 'counter', values: out, aggregator: 'sum' };
    },
    reset: () => values.clear(),
  };
}

function histogram<L extends string>(
  name: string,
  help: string,
  buckets: readonly number[],
): LabeledHistogram<L> & RegistryMetric {
  const series = new Map<string, { labels: Labels<L>; counts: number[]; sum: number; count: number }>();
  return {
    name,
    observe(labels, seconds) {
      const key = keyOf(labels);
      const entry = series.get(key) ?? { labels: { ...labels }, counts: buckets.map(() => 0), sum: 0, count: 0 };
      buckets.forEach((le, i) => {
        if (seconds <= le) entry.counts[i] = (entry.counts[i] ?? 0) + 1;
      });
      entry.sum += seconds;
      entry.count += 1;
      series.set(key, entry);
    },
    count: (labels) => series.get(keyOf(labels))?.count ?? 0,
    async get() {
      const values: MetricValue[] = [];
      for (const s of series.values()) {
        // Buckets are cumulative: each `le` counts every observation at or below it.
        buckets.forEach((le, i) => {
          values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le }, value: s.counts[i] ?? 0 });
        });
        values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
        values.push({ metricName: `${name}_sum`, labels: { ...s.labels }, value: s.sum });
        values.push({ metricName: `${name}_count`, labels: { ...s.labels }, value: s.count });
      }
      return { name, help, type: 'histogram', values, aggregator: 'sum' };
    },
    reset: () => series.clear(),
  };
}

function collectedGauge<L extends string>(
  name: string,
  help: string,
  collect: () => Promise<readonly GaugeSample<L>[]>,
  onError: (error: unknown) => void,
): RegistryMetric {
  return {
    name,
    async get() {
      let samples: readonly GaugeSample<L>[] = [];
      try {
        samples = await collect();
      } catch (error) {
        // A dependency that does not answer must not take /metrics down with it; /ready reports it.
        onError(error);
      }
      return {
        name,
        help,
        type: 'gauge',
        values: samples.map((s) => ({ labels: { ...s.labels }, value: s.value })),
        aggregator: 'sum',
      };
    },
    reset: () => {},
  };
}

/** Where the scrape-time gauges read from. */
export interface DepthSources {
  /** Jobs per queue and state on the f2c boundary Redis. */
  queueDepth(): Promise<readonly GaugeSample<'queue' | 'state'>[]>;
  /** Unacknowledged outbox rows per queue and the age of the oldest. */
  outboxBacklog(): Promise<readonly { queue: string; pending: number; oldestAgeSeconds: number }[]>;
}

/** The metrics the service updates. */
export interface FormationMetrics {
  /** POST outcomes: created, replayed, conflict, invalid, refused. */
  orders: LabeledCounter<'outcome'>;
  /** Time from acceptance to each stage (formation's own and those reported back). */
  stageLatency: LabeledHistogram<'stage'>;
  /** Formation's ЗК could not be made or did not verify, by SIG_* code. */
  signatureFailures: LabeledCounter<'code'>;
  /** Refusals reported by control (rejected-by-control), by CTL_* code. */
  controlFailures: LabeledCounter<'code'>;
  /** Requisite failures of refused orders, by UFEBS_* field code. */
  requisiteFailures: LabeledCounter<'code'>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600];

/** Creates the service's metrics and registers them (and the scrape-time gauges) on the app's registry. */
export function registerFormationMetrics(app: FastifyInstance, sources: DepthSources): FormationMetrics {
  const registry = app.metricsRegistry;
  const onError = (error: unknown) => app.log.warn({ err: error }, 'metrics collection failed');
  const metrics = {
    orders: counter<'outcome'>('formation_orders_total', 'POST /v1/payment-orders outcomes.'),
    stageLatency: histogram<'stage'>(
      'formation_stage_latency_seconds',
      'Seconds from acceptance of an order to each stage it reached.',
      LATENCY_BUCKETS,
    ),
    signatureFailures: counter<'code'>(
      'formation_signature_failures_total',
      "Formation's ЗК that could not be made or did not verify, by code.",
    ),
    controlFailures: counter<'code'>(
      'formation_control_failures_total',
      'Orders refused by the control contour, by code.',
    ),
    requisiteFailures: counter<'code'>(
      'formation_requisite_failures_total',
      'Field errors of orders refused by requisite control, by code.',
    ),
  };
  const gauges = [
    collectedGauge<'queue' | 'state'>(
      'formation_queue_jobs',
      'Jobs per queue and state on the formation↔control boundary Redis (collected on scrape).',
      () => sources.queueDepth(),
      onError,
    ),
    collectedGauge<'queue'>(
      'formation_outbox_pending',
      'Outbox rows not yet acknowledged by the consumer, per queue (collected on scrape).',
      async () => (await sources.outboxBacklog()).map((b) => ({ labels: { queue: b.queue }, value: b.pending })),
      onError,
    ),
    collectedGauge<'queue'>(
      'formation_outbox_oldest_seconds',
      'Age of the oldest unacknowledged outbox row, per queue (collected on scrape).',
      async () =>
        (await sources.outboxBacklog()).map((b) => ({ labels: { queue: b.queue }, value: b.oldestAgeSeconds })),
      onError,
    ),
  ];
  for (const metric of [...Object.values(metrics), ...gauges]) {
    registry.registerMetric(metric as unknown as Parameters<typeof registry.registerMetric>[0]);
  }
  return metrics;
}
