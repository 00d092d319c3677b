import { TelemetryConfigError } from './errors.ts';
import { METRICS } from './metrics.ts';
import {
  createCounter,
  createGauge,
  createHistogram,
  createMetricsRegistry,
  metricsHandler,
} from './prometheus.ts';

describe('prometheus', () => {
  it('exposes created metrics with name, help, type and the service label', async () => {
    const registry = createMetricsRegistry({ service: 'claude-worker', defaultMetrics: false });
    createCounter(registry, METRICS.claudeTokens).inc(
      { kind: 'cache_read', model: 'claude-sonnet-4-5', mode: 'realtime' },
      1200,
    );
    createGauge(registry, METRICS.consumerLag).set({ group: 'g', topic: 't', partition: '0' }, 7);
    createHistogram(registry, METRICS.deliveryDuration).observe({ outcome: '2xx' }, 0.2);

    const text = await registry.metrics();
    expect(text).toContain(`# HELP pipeline_claude_tokens_total ${METRICS.claudeTokens.help}`);
    expect(text).toContain('# TYPE pipeline_claude_tokens_total counter');
    expect(text).toContain(
      'pipeline_claude_tokens_total{kind="cache_read",model="claude-sonnet-4-5",mode="realtime",service="claude-worker"} 1200',
    );
    expect(text).toContain('# TYPE pipeline_consumer_lag_records gauge');
    expect(text).toContain(
      'pipeline_consumer_lag_records{group="g",topic="t",partition="0",service="claude-worker"} 7',
    );
    expect(text).toContain(
      'pipeline_delivery_duration_seconds_bucket{le="0.25",service="claude-worker",outcome="2xx"} 1',
    );
  });

  it('includes the Node process metrics by default', async () => {
    const registry = createMetricsRegistry({ service: 'ingest' });
    const text = await registry.metrics();
    expect(text).toContain('process_cpu_user_seconds_total{service="ingest"}');
    expect(text).toContain('nodejs_eventloop_lag_seconds{service="ingest"}');
  });

  it('keeps registries of different services apart', async () => {
    const a = createMetricsRegistry({ service: 'a', defaultMetrics: false });
    const b = createMetricsRegistry({ service: 'b', defaultMetrics: false });
    createCounter(a, METRICS.dlqRecords).inc({
      topic: 'x',
      error_class: 'invalid',
      stage: 'handle',
    });
    expect(await b.metrics()).not.toContain('pipeline_dlq_records_total{');
  });

  it('returns the registered instance for a definition asked for twice', () => {
    const registry = createMetricsRegistry({ service: 's', defaultMetrics: false });
    expect(createCounter(registry, METRICS.claude429)).toBe(
      createCounter(registry, METRICS.claude429),
    );
  });

  it('refuses a name registered as another type', () => {
    const registry = createMetricsRegistry({ service: 's', defaultMetrics: false });
    createCounter(registry, METRICS.claude429);
    expect(() =>
      createGauge(registry, { ...METRICS.openBatches, name: METRICS.claude429.name }),
    ).toThrow(TelemetryConfigError);
  });

  it('metricsHandler answers with the exposition content type and body', async () => {
    const registry = createMetricsRegistry({ service: 'notifier', defaultMetrics: false });
    createCounter(registry, METRICS.deliveries).inc({ outcome: '2xx' });
    const response = await metricsHandler(registry)();
    expect(response.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toContain(
      'pipeline_deliveries_total{outcome="2xx",service="notifier"} 1',
    );
  });
});
