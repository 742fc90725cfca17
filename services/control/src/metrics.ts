import type { FastifyInstance } from 'fastify';

/**
 * The control service's metrics, registered on the app's own Prometheus registry
 * (`app.metricsRegistry`, platform app.ts). The service does not depend on prom-client directly (its
 * package.json does not list it), so these are small metric objects of the shape the registry reads:
 * `{ name, help, type, aggregator, get() }`, where `get()` returns the values at scrape time.
 */

type Labels = Readonly<Record<string, string>>;
interface Value {
  value: number;
  labels: Labels;
  metricName?: string;
}
interface MetricShape {
  name: string;
  help: string;
  type: string;
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: Value[] }>;
}
type Registry = FastifyInstance['metricsRegistry'];

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function register(registry: Registry, metric: MetricShape): void {
  // The registry calls only name and get(); the cast bridges to prom-client's class-based typing.
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

/** A monotonically increasing counter with labels. */
export interface CounterMetric {
  inc(labels: Labels, by?: number): void;
  /** Current value of one label set (tests, diagnostics). */
  value(labels: Labels): number;
}

/** A histogram of durations in seconds, with labels. */
export interface HistogramMetric {
  observe(labels: Labels, seconds: number): void;
}

function createCounter(name: string, help: string): CounterMetric & MetricShape {
  const series = new Map<string, { labels: Labels; value: number }>();
  return {
    name,
    help,
    type: 'counter',
    aggregator: 'sum',
    inc(labels, by = 1) {
      const key = labelKey(labels);
      const entry = series.get(key) ?? { labels: { ...labels }, value: 0 };
      entry.value += by;
      series.set(key, entry);
    },
    value(labels) {
      return series.get(labelKey(labels))?.value ?? 0;
    },
    async get() {
      const values = [...series.values()].map((s) => ({ value: s.value, labels: s.labels }));
      return { name, help, type: 'counter', aggregator: 'sum', values };
    },
  };
}

function createHistogram(name: string, help: string, buckets: readonly number[]): HistogramMetric & MetricShape {
  const series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    observe(labels, seconds) {
      const key = labelKey(labels);
      const entry = series.get(key) ?? { labels: { ...labels }, counts: buckets.map(() => 0), sum: 0, count: 0 };
      buckets.forEach((upper, i) => {
        if (seconds <= upper) entry.counts[i] = (entry.counts[i] ?? 0) + 1;
      });
      entry.sum += seconds;
      entry.count += 1;
      series.set(key, entry);
    },
    async get() {
      const values: Value[] = [];
      for (const s of series.values()) {
        buckets.forEach((upper, i) => {
          values.push({
            metricName: `${name}_bucket`,
            labels: { ...s.labels, le: String(upper) },
            value: s.counts[i] ?? 0,
          });
        });
        values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
        values.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
        values.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
}

/** A gauge whose values are read when Prometheus scrapes. */
function createCollectedGauge(
  name: string,
  help: string,
  collect: () => Promise<readonly { labels: Labels; value: number }[]>,
): MetricShape {
  return {
    name,
    help,
    type: 'gauge',
    aggregator: 'sum',
    async get() {
      const values = (await collect()).map((v) => ({ value: v.value, labels: v.labels }));
      return { name, help, type: 'gauge', aggregator: 'sum', values };
    },
  };
}

/** The metrics the workers update. */
export interface ControlMetrics {
  /** Refusals by CTL_* / QUE_* code. */
  controlFailures: CounterMetric;
  /** Formation ЗК that failed verification, by SIG_* code. */
  signatureFailures: CounterMetric;
  /** Seconds from formation's `formedAt` to the stage control reached. */
  stageLatency: HistogramMetric;
}

/** Creates the metric objects (not yet registered: see {@link registerControlMetrics}). */
export function createControlMetrics(): ControlMetrics & { all: MetricShape[] } {
  const controlFailures = createCounter('control_failures_total', 'EDs refused by control, by code.');
  const signatureFailures = createCounter(
    'control_signature_failures_total',
    "Formation ЗК refused by control's verification, by SIG_* code.",
  );
  const stageLatency = createHistogram(
    'control_stage_latency_seconds',
    "Seconds from formation's formedAt to the stage control reached, by stage.",
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  );
  return { controlFailures, signatureFailures, stageLatency, all: [controlFailures, signatureFailures, stageLatency] };
}

/** Registers the worker metrics and the scrape-time gauges (queue depth, waiting EDs, outbox backlog). */
export function registerControlMetrics(
  registry: Registry,
  metrics: ReturnType<typeof createControlMetrics>,
  gauges: {
    queueDepths?: () => Promise<readonly { queue: string; depth: number }[]>;
    pendingEds?: () => Promise<number>;
    outboxPending?: () => Promise<readonly { queue: string; pending: number }[]>;
  },
): void {
  for (const metric of metrics.all) register(registry, metric);
  const { queueDepths, pendingEds, outboxPending } = gauges;
  if (queueDepths) {
    register(
      registry,
      createCollectedGauge('control_queue_depth', 'Jobs waiting, delayed or active, by queue.', async () =>
        (await queueDepths()).map((q) => ({ labels: { queue: q.queue }, value: q.depth })),
      ),
    );
  }
  if (pendingEds) {
    register(
      registry,
      createCollectedGauge('control_pending_eds', 'EDs waiting for their primary document.', async () => [
        { labels: {}, value: await pendingEds() },
      ]),
    );
  }
  if (outboxPending) {
    register(
      registry,
      createCollectedGauge('control_outbox_pending', 'Outbox rows not yet acknowledged, by queue.', async () =>
        (await outboxPending()).map((q) => ({ labels: { queue: q.queue }, value: q.pending })),
      ),
    );
  }
}
