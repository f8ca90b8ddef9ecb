/**
 * The Prometheus text exposition format (version 0.0.4) for `/metrics`: one `# HELP`, one `# TYPE` and one sample
 * line per metric. Names are `zentrale_` plus snake case; values are plain numbers.
 */
export interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: number;
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function formatMetrics(metrics: readonly Metric[]): string {
  const out: string[] = [];
  for (const m of metrics) {
    const name = `zentrale_${m.name}`;
    // HELP text escapes only backslash and line feed (exposition format).
    out.push(`# HELP ${name} ${m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    out.push(`# TYPE ${name} ${m.type}`);
    out.push(`${name} ${Number.isFinite(m.value) ? m.value : 0}`);
  }
  return `${out.join('\n')}\n`;
}

/** Live resource counts (`/debug/counts`) as gauges, `camelCase` names in snake case. */
export function countsAsGauges(counts: Record<string, number>): Metric[] {
  return Object.entries(counts).map(([k, v]) => ({
    name: k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
    help: `live ${k} (as in /debug/counts)`,
    type: 'gauge',
    value: v,
  }));
}
