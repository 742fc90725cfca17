import { Counter, Gauge, Histogram, type Metric, type Registry } from 'prom-client';

/**
 * The control service's metrics: prom-client metrics served by the app's own Prometheus registry
 * (`app.metricsRegistry`, platform app.ts). The worker metrics exist before the app does (the runtime
 * updates them), so they are created on no registry and registered by {@link registerControlMetrics}.
 */

/** The metrics the workers update. */
export interface ControlMetrics {
  /** Refusals by CTL_* / QUE_* code. */
  controlFailures: Counter<'code'>;
  /** Formation ЗК that failed verification, by SIG_* code. */
  signatureFailures: Counter<'code'>;
  /** Seconds from formation's `formedAt` to the stage control reached. */
  stageLatency: Histogram<'stage'>;
}

/** Creates the metric objects (not yet registered: see {@link registerControlMetrics}). */
export function createControlMetrics(): ControlMetrics & { all: readonly Metric[] } {
  // `registers: []`: without it prom-client would put them on its process-wide global registry.
  const controlFailures = new Counter({
    name: 'control_failures_total',
    help: 'EDs refused by control, by code.',
    labelNames: ['code'],
    registers: [],
  });
  const signatureFailures = new Counter({
    name: 'control_signature_failures_total',
    help: "Formation ЗК refused by control's verification, by SIG_* code.",
    labelNames: ['code'],
    registers: [],
  });
  const stageLatency = new Histogram({
    name: 'control_stage_latency_seconds',
    help: "Seconds from formation's formedAt to the stage control reached, by stage.",
    labelNames: ['stage'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [],
  });
  return { controlFailures, signatureFailures, stageLatency, all: [controlFailures, signatureFailures, stageLatency] };
}

/**
 * The value of one series of a metric as prom-client's `get()` reports it (0 when the series does not
 * exist yet): the exact label set, and for a histogram the `_count` or `_sum` series.
 */
export async function seriesValue(
  metric: Metric,
  labels: Readonly<Record<string, string>>,
  suffix?: '_count' | '_sum',
): Promise<number> {
  const { name, values } = await metric.get();
  const keys = Object.keys(labels);
  const hit = values.find(
    (v) =>
      ('metricName' in v ? v.metricName : undefined) === (suffix && `${name}${suffix}`) &&
      Object.keys(v.labels).length === keys.length &&
      keys.every((k) => String(v.labels[k]) === labels[k]),
  );
  return hit?.value ?? 0;
}

/** A gauge whose values are read when Prometheus scrapes. */
function collectedGauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => Promise<readonly { labels: Readonly<Record<L, string>>; value: number }[]>,
): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const samples = await read();
      // Only what this scrape read: a label set gone from the source is gone from the gauge.
      this.reset();
      for (const s of samples) this.set(s.labels, s.value);
    },
  });
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
  for (const metric of metrics.all) registry.registerMetric(metric);
  const { queueDepths, pendingEds, outboxPending } = gauges;
  if (queueDepths) {
    collectedGauge(registry, 'control_queue_depth', 'Jobs waiting, delayed or active, by queue.', ['queue'], async () =>
      (await queueDepths()).map((q) => ({ labels: { queue: q.queue }, value: q.depth })),
    );
  }
  if (pendingEds) {
    collectedGauge(registry, 'control_pending_eds', 'EDs waiting for their primary document.', [], async () => [
      { labels: {}, value: await pendingEds() },
    ]);
  }
  if (outboxPending) {
    collectedGauge(
      registry,
      'control_outbox_pending',
      'Outbox rows not yet acknowledged, by queue.',
      ['queue'],
      async () => (await outboxPending()).map((q) => ({ labels: { queue: q.queue }, value: q.pending })),
    );
  }
}
