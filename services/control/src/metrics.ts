import { createCollectedGauge } from '@twincontour/platform';
import { Counter, Histogram, type Metric, type Registry } from 'prom-client';

// Re-exported so the service's tests keep reading series from here.
export { seriesValue } from '@twincontour/platform';

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
    createCollectedGauge(registry, {
      name: 'control_queue_depth',
      help: 'Jobs waiting, delayed or active, by queue.',
      labelNames: ['queue'],
      read: async () => (await queueDepths()).map((q) => ({ labels: { queue: q.queue }, value: q.depth })),
    });
  }
  if (pendingEds) {
    createCollectedGauge(registry, {
      name: 'control_pending_eds',
      help: 'EDs waiting for their primary document.',
      labelNames: [],
      read: async () => [{ labels: {}, value: await pendingEds() }],
    });
  }
  if (outboxPending) {
    createCollectedGauge(registry, {
      name: 'control_outbox_pending',
      help: 'Outbox rows not yet acknowledged, by queue.',
      labelNames: ['queue'],
      read: async () => (await outboxPending()).map((q) => ({ labels: { queue: q.queue }, value: q.pending })),
    });
  }
}
