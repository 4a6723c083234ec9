/**
 * In-process counters, ready for a metrics system: `render()` gives the Prometheus text format
 * (served at GET /metrics), `snapshot()` a plain object for tests and other exporters.
 * Counters only count; they never carry identifiers (label values are fixed reasons).
 */
export interface Counter {
  inc(labels?: Record<string, string>, by?: number): void;
}

export interface Metrics {
  counter(name: string, help: string): Counter;
  /** Current values keyed by `name{label="value"}`. */
  snapshot(): Record<string, number>;
  render(): string;
}

export function createMetrics(): Metrics {
  const counters = new Map<string, { help: string; values: Map<string, number> }>();

  function labelKey(labels: Record<string, string> | undefined): string {
    if (!labels) return '';
    const parts = Object.keys(labels).sort().map((key) => `${key}="${labels[key]!.replace(/["\\\n]/g, '_')}"`);
    return parts.length === 0 ? '' : `{${parts.join(',')}}`;
  }

  return {
    counter(name, help) {
      let entry = counters.get(name);
      if (!entry) {
        entry = { help, values: new Map() };
        counters.set(name, entry);
      }
      const values = entry.values;
      return {
        inc(labels, by = 1) {
          const key = labelKey(labels);
          values.set(key, (values.get(key) ?? 0) + by);
        },
      };
    },
    snapshot() {
      const out: Record<string, number> = {};
      for (const [name, { values }] of counters) for (const [labels, value] of values) out[`${name}${labels}`] = value;
      return out;
    },
    render() {
      const lines: string[] = [];
      for (const [name, { help, values }] of counters) {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
        if (values.size === 0) lines.push(`${name} 0`);
        for (const [labels, value] of values) lines.push(`${name}${labels} ${value}`);
      }
      return `${lines.join('\n')}\n`;
    },
  };
}
