import { METRICS, type MetricDefinition } from './metrics.ts';

const definitions: MetricDefinition[] = Object.values(METRICS);
const UNITS = ['seconds', 'records', 'messages', 'usd', 'batches', 'keys', 'bytes'];

describe('METRICS', () => {
  it.each(definitions.map((d) => [d.name, d] as const))(
    '%s follows the naming rules',
    (name, d) => {
      expect(name).toMatch(/^pipeline_[a-z0-9_]+$/);
      expect(d.help.length).toBeGreaterThan(10);
      if (d.type === 'counter') expect(name).toMatch(/_total$/);
      else expect(UNITS.some((unit) => name.endsWith(`_${unit}`))).toBe(true);
      for (const label of d.labelNames) {
        expect(label).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(label).not.toBe('service'); // the registry's default label
      }
    },
  );

  it('has unique names', () => {
    const names = definitions.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('has increasing histogram buckets', () => {
    for (const d of definitions) {
      if (d.type !== 'histogram') continue;
      expect([...d.buckets].sort((a, b) => a - b)).toEqual([...d.buckets]);
    }
  });

  it('names the metrics the services and dashboards rely on', () => {
    expect(definitions.map((d) => d.name)).toEqual(
      expect.arrayContaining([
        'pipeline_consumer_lag_records',
        'pipeline_dlq_records_total',
        'pipeline_inflight_messages',
        'pipeline_claude_requests_total',
        'pipeline_claude_429_total',
        'pipeline_claude_tokens_total',
        'pipeline_claude_cost_usd_total',
        'pipeline_delivery_duration_seconds',
        'pipeline_kafka_produce_duration_seconds',
      ]),
    );
    expect(METRICS.claudeTokens.labelNames).toContain('kind');
  });
});
