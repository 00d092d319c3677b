import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS } from '@claude-pipeline/telemetry';
import { ROOT } from './paths.ts';

export interface KnownMetric {
  name: string;
  type: string;
  /** Label names, when known (libs/telemetry METRICS); undefined for app-local metrics. */
  labels?: readonly string[];
}

/**
 * Every metric the services expose: the shared definitions of libs/telemetry and the names the
 * apps define in their own src/metrics.ts (read as text: apps are not importable from tooling).
 */
export function knownMetrics(): Map<string, KnownMetric> {
  const known = new Map<string, KnownMetric>();
  for (const def of Object.values(METRICS)) {
    known.set(def.name, { name: def.name, type: def.type, labels: def.labelNames });
  }
  for (const app of readdirSync(join(ROOT, 'apps'))) {
    const file = join(ROOT, 'apps', app, 'src', 'metrics.ts');
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    // Definitions in METRICS' shape: { type: '...', name: 'pipeline_...', help, labelNames: [...] }.
    const definition =
      /type: '(counter|gauge|histogram)',\s*name: '(pipeline_[a-z0-9_]+)',[^}]*?labelNames: \[([^\]]*)\]/g;
    for (const [, type = '', name = '', labels = ''] of text.matchAll(definition)) {
      const labelNames = [...labels.matchAll(/'([a-z_]+)'/g)].map(([, l = '']) => l);
      if (!known.has(name)) known.set(name, { name, type, labels: labelNames });
    }
    for (const [, name = ''] of text.matchAll(/'(pipeline_[a-z0-9_]+)'/g)) {
      if (!known.has(name)) known.set(name, { name, type: 'unknown' });
    }
  }
  return known;
}

/** Metric names a PromQL expression reads (histogram series resolved to their metric). */
export function metricsIn(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\bpipeline_[a-z0-9_]+\b/g)].map((m) => m[0]))];
}

export function resolveSeries(
  series: string,
  known: Map<string, KnownMetric>,
): KnownMetric | undefined {
  if (known.has(series)) return known.get(series);
  const base = series.replace(/_(bucket|sum|count)$/, '');
  const metric = known.get(base);
  return metric && (metric.type === 'histogram' || metric.type === 'unknown') ? metric : undefined;
}

/** Label names grouped by (`by (a, b)`) in an expression. */
export function groupingLabels(expr: string): string[] {
  return [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap(([, list = '']) =>
    list
      .split(',')
      .map((l) => l.trim())
      .filter((l) => l !== '' && l !== 'le'),
  );
}
