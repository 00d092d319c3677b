import {
  createCounter,
  createGauge,
  createHistogram,
  METRICS,
  type GaugeDefinition,
} from '@claude-pipeline/telemetry';
import type { Registry } from 'prom-client';

/**
 * The notifier's metrics. Names come from the one registry in libs/telemetry, except the two
 * below, which that registry does not have yet (kept in the same shape so moving them there is
 * a rename-free change; see README.md, "Metrics").
 */
export const NOTIFIER_METRICS = {
  openCircuits: {
    type: 'gauge',
    name: 'pipeline_notifier_open_circuits',
    help: 'Callback destinations (origins) whose circuit breaker is open or half-open',
    labelNames: [],
  } satisfies GaugeDefinition<never>,
  retryDepth: {
    type: 'gauge',
    name: 'pipeline_retry_depth_records',
    help: 'Records in a retry stage topic not yet consumed by its group (high watermark minus committed offset)',
    labelNames: ['topic'],
  } satisfies GaugeDefinition<'topic'>,
} as const;

export type NotifierMetrics = ReturnType<typeof createNotifierMetrics>;

export function createNotifierMetrics(registry: Registry) {
  return {
    registry,
    deliveries: createCounter(registry, METRICS.deliveries),
    deliveryDuration: createHistogram(registry, METRICS.deliveryDuration),
    undeliverable: createCounter(registry, METRICS.undeliverable),
    recordsProcessed: createCounter(registry, METRICS.recordsProcessed),
    retryRecords: createCounter(registry, METRICS.retryRecords),
    dlqRecords: createCounter(registry, METRICS.dlqRecords),
    dlqDepth: createGauge(registry, METRICS.dlqDepth),
    inflight: createGauge(registry, METRICS.inflightMessages),
    consumerLag: createGauge(registry, METRICS.consumerLag),
    openCircuits: createGauge(registry, NOTIFIER_METRICS.openCircuits),
    retryDepth: createGauge(registry, NOTIFIER_METRICS.retryDepth),
  };
}
