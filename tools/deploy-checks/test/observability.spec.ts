import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { groupingLabels, knownMetrics, metricsIn, resolveSeries } from '../src/metrics.ts';
import { OBSERVABILITY_DIR } from '../src/paths.ts';

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string };
}

const known = knownMetrics();
const dashboard = JSON.parse(
  readFileSync(join(OBSERVABILITY_DIR, 'grafana-dashboard.json'), 'utf8'),
) as { uid: string; title: string; panels: Panel[] };
const exprs = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => [p.title, t.expr] as const),
);
const rules = (
  parse(readFileSync(join(OBSERVABILITY_DIR, 'alerts.yaml'), 'utf8')) as {
    groups: { name: string; rules: Rule[] }[];
  }
).groups.flatMap((g) => g.rules);

/** Every metric an expression reads exists; grouped-by labels are labels of those metrics. */
function problemsOf(expr: string): string[] {
  const problems: string[] = [];
  const metrics = metricsIn(expr);
  if (metrics.length === 0) problems.push('reads no pipeline metric');
  for (const series of metrics) {
    const metric = resolveSeries(series, known);
    if (!metric) {
      problems.push(`unknown metric ${series}`);
      continue;
    }
    for (const label of groupingLabels(expr)) {
      if (metric.labels && !metric.labels.includes(label)) {
        problems.push(`${series} has no label "${label}"`);
      }
    }
  }
  let depth = 0;
  for (const ch of expr) {
    depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
    if (depth < 0) break;
  }
  if (depth !== 0) problems.push('unbalanced parentheses');
  return problems;
}

describe('Grafana dashboard', () => {
  it('reads only metrics the services expose, grouped by labels they have', () => {
    expect(exprs.length).toBeGreaterThan(10);
    expect(
      exprs
        .map(([title, expr]) => ({ title, problems: problemsOf(expr) }))
        .filter((e) => e.problems.length > 0),
    ).toEqual([]);
  });

  it('shows lag, DLQ depth, in-flight, 429s, tokens, cost and delivery latency', () => {
    const read = new Set(exprs.flatMap(([, e]) => metricsIn(e)));
    for (const metric of [
      'pipeline_consumer_lag_records',
      'pipeline_dlq_depth_records',
      'pipeline_inflight_messages',
      'pipeline_claude_429_total',
      'pipeline_claude_tokens_total',
      'pipeline_claude_cost_usd_total',
      'pipeline_delivery_duration_seconds_bucket',
      'pipeline_notifier_open_circuits',
    ]) {
      expect([metric, read.has(metric)]).toEqual([metric, true]);
    }
  });

  it('panel ids are unique and the dashboard has a stable uid', () => {
    const ids = (dashboard.panels as unknown as { id: number }[]).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.uid).toBe('claude-pipeline');
  });

  it('the checks are real: an unknown metric or label is reported', () => {
    expect(problemsOf('sum(rate(pipeline_nope_total[5m]))')).toEqual([
      'unknown metric pipeline_nope_total',
    ]);
    expect(problemsOf('sum by (tenant) (pipeline_consumer_lag_records)')).toEqual([
      'pipeline_consumer_lag_records has no label "tenant"',
    ]);
    expect(problemsOf('sum(pipeline_dlq_depth_records')).toEqual(['unbalanced parentheses']);
    // Labels of an app's own metrics (apps/<app>/src/metrics.ts) are checked too.
    expect(problemsOf('sum by (model) (pipeline_batch_cost_saved_usd_total)')).toEqual([]);
    expect(problemsOf('sum by (tenant) (pipeline_batch_cost_saved_usd_total)')).toEqual([
      'pipeline_batch_cost_saved_usd_total has no label "tenant"',
    ]);
  });
});

describe('Prometheus alert rules', () => {
  it('alert on growing DLQs, growing lag, the 429 rate and open circuits', () => {
    const byMetric = (metric: string) =>
      rules.filter((r) => metricsIn(r.expr).includes(metric)).map((r) => r.alert);
    expect(byMetric('pipeline_dlq_depth_records')).toContain('PipelineDLQGrowing');
    expect(byMetric('pipeline_consumer_lag_records')).toContain('PipelineConsumerLagGrowing');
    expect(byMetric('pipeline_claude_429_total')).toContain('PipelineClaude429RateHigh');
    expect(byMetric('pipeline_notifier_open_circuits')).toContain('PipelineCallbackCircuitsOpen');
  });

  it.each(rules.map((r) => [r.alert, r] as const))(
    '%s: valid metrics, severity and summary',
    (_name, rule) => {
      expect(problemsOf(rule.expr)).toEqual([]);
      expect(['warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
    },
  );

  it('alert names are unique', () => {
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
  });
});
