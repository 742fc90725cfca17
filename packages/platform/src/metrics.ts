import { Gauge, type Metric, type Registry } from 'prom-client';

/** One sample of a gauge collected on scrape: its exact label set and value. */
export interface GaugeSample<L extends string> {
  labels: Readonly<Record<L, string>>;
  value: number;
}

/** A gauge read from a dependency (queue depth, outbox backlog) when Prometheus scrapes. */
export interface CollectedGaugeOptions<L extends string> {
  /** Metric name, e.g. `control_queue_depth`. */
  name: string;
  /** Help text, as served on /metrics. */
  help: string;
  /** Label names of the samples (`[]` for a single unlabelled value). */
  labelNames: readonly L[];
  /** Reads the current samples. */
  read: () => Promise<readonly GaugeSample<L>[]>;
  /**
   * Called when `read` fails; the gauge then serves no samples for that scrape and the scrape goes on, so a
   * dependency that does not answer cannot take /metrics down (readiness reports it instead). Without it
   * the failure rejects the scrape.
   */
  onError?: (error: unknown) => void;
}

/**
 * Creates a gauge on `registry` whose samples are read on each scrape. Only what that scrape read is
 * served: a label set gone from the source is gone from the gauge.
 */
export function createCollectedGauge<L extends string>(
  registry: Registry,
  options: CollectedGaugeOptions<L>,
): Gauge<L> {
  const { name, help, labelNames, read, onError } = options;
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      let samples: readonly GaugeSample<L>[] = [];
      if (onError) {
        try {
          samples = await read();
        } catch (error) {
          onError(error);
        }
      } else {
        samples = await read();
      }
      this.reset();
      for (const s of samples) this.set(s.labels, s.value);
    },
  });
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
