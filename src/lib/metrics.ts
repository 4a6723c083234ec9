/**
 * The process's metrics, kept by prom-client in a registry of their own (one per app, so tests
 * that build several apps in one process never share a counter). `render()` gives the Prometheus
 * text format served at GET /metrics; `snapshot()` the counters as a plain object for tests.
 * Labels carry fixed reasons, routes, channels and providers only, never an identifier, code,
 * token or secret (S34, S37).
 */
import { collectDefaultMetrics, Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry } from 'prom-client';

export type Labels = Record<string, string>;

export interface Counter {
  inc(labels?: Labels, by?: number): void;
}

export interface Histogram {
  observe(labels: Labels, value: number): void;
}

/** A value read when the metrics are scraped: one reading per label set. */
export type GaugeReader = () => Promise<{ labels?: Labels; value: number }[]> | { labels?: Labels; value: number }[];

export interface Metrics {
  /** A counter; label names may be given, or are taken from the labels it is first counted with. */
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  histogram(name: string, help: string, options: { labelNames: readonly string[]; buckets: readonly number[] }): Histogram;
  /** A gauge read at scrape time; when a reading throws (database down) it keeps its last values. */
  gauge(name: string, help: string, options: { labelNames?: readonly string[]; read: GaugeReader }): void;
  /** Current counter values keyed by `name{label="value"}` (labels sorted by name). */
  snapshot(): Record<string, number>;
  render(): Promise<string>;
  readonly contentType: string;
}

/** Seconds: from a few milliseconds (a request, a provider call) to a minute (a throttled send). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  // Process metrics (CPU, memory, event-loop lag, handles, GC), as every Node exporter names them.
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const counters = new Map<string, Counter>();
  const values = new Map<string, number>();

  function labelKey(labels: Labels | undefined): string {
    if (!labels) return '';
    const parts = Object.keys(labels).sort().map((key) => `${key}="${labels[key]!.replace(/["\\\n]/g, '_')}"`);
    return parts.length === 0 ? '' : `{${parts.join(',')}}`;
  }

  return {
    counter(name, help, labelNames) {
      const existing = counters.get(name);
      if (existing) return existing;
      let names = [...(labelNames ?? [])].sort();
      let declared = labelNames !== undefined;
      let counter = new PromCounter({ name, help, labelNames: names, registers: [registry] });
      const counted = new Map<string, { labels: Labels; value: number }>();
      // Label names arrive with the first labelled count when the caller did not declare them; a
      // later count with other names widens the set (missing labels are empty) rather than throw
      // on a request path.
      const widen = (labels: Labels): void => {
        const wanted = [...new Set([...names, ...Object.keys(labels)])].sort();
        if (wanted.length === names.length) return;
        registry.removeSingleMetric(name);
        names = wanted;
        counter = new PromCounter({ name, help, labelNames: names, registers: [registry] });
        for (const entry of counted.values()) counter.inc(complete(entry.labels), entry.value);
      };
      const complete = (labels: Labels): Labels => Object.fromEntries(names.map((label) => [label, labels[label] ?? '']));
      const handle: Counter = {
        inc(labels, by = 1) {
          const given = labels ?? {};
          if (!declared || Object.keys(given).some((label) => !names.includes(label))) {
            widen(given);
            declared = declared || Object.keys(given).length > 0;
          }
          counter.inc(complete(given), by);
          const key = labelKey(labels);
          const entry = counted.get(key) ?? { labels: given, value: 0 };
          entry.value += by;
          counted.set(key, entry);
          values.set(`${name}${key}`, (values.get(`${name}${key}`) ?? 0) + by);
        },
      };
      counters.set(name, handle);
      return handle;
    },

    histogram(name, help, { labelNames, buckets }) {
      const histogram = new PromHistogram({ name, help, labelNames: [...labelNames], buckets: [...buckets], registers: [registry] });
      return { observe: (labels, value) => histogram.observe(labels, value) };
    },

    gauge(name, help, { labelNames = [], read }) {
      new PromGauge({
        name,
        help,
        labelNames: [...labelNames],
        registers: [registry],
        async collect() {
          let readings: Awaited<ReturnType<GaugeReader>>;
          try {
            readings = await read();
          } catch {
            return;
          }
          this.reset();
          for (const reading of readings) this.set(reading.labels ?? {}, reading.value);
        },
      });
    },

    snapshot() {
      return Object.fromEntries(values);
    },

    async render() {
      return registry.metrics();
    },

    contentType: registry.contentType,
  };
}
