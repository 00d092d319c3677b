import {
  createCounter,
  createGauge,
  createHistogram,
  METRICS,
  type CounterDefinition,
  type GaugeDefinition,
  type HistogramDefinition,
} from '@claude-pipeline/telemetry';
import type { Registry } from 'prom-client';

/**
 * The worker's metrics. Names come from the one registry in libs/telemetry, except the ones
 * below, which that registry does not have yet (kept in the same shape so moving them there is a
 * rename-free change; see README.md, "Metrics").
 */
export const WORKER_METRICS = {
  claudeInflight: {
    type: 'gauge',
    name: 'pipeline_claude_inflight_requests',
    help: 'Messages API calls in flight (admitted by the rate limiter, not yet answered)',
    labelNames: [],
  } satisfies GaugeDefinition<never>,
  claudeWaiting: {
    type: 'gauge',
    name: 'pipeline_claude_limiter_waiting_requests',
    help: 'Calls waiting for the rate limiter (a free slot or bucket capacity)',
    labelNames: [],
  } satisfies GaugeDefinition<never>,
  claudeDispatched: {
    type: 'counter',
    name: 'pipeline_claude_dispatched_total',
    help: 'Calls dispatched by the rate limiter (its rate is the dispatch rate)',
    labelNames: ['model'],
  } satisfies CounterDefinition<'model'>,
  limiterWait: {
    type: 'histogram',
    name: 'pipeline_claude_limiter_wait_seconds',
    help: 'Time a call waited for the rate limiter before it was dispatched',
    labelNames: ['model'],
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  } satisfies HistogramDefinition<'model'>,
  claudeInflightPeak: {
    type: 'gauge',
    name: 'pipeline_claude_inflight_peak_requests',
    help: 'Highest number of Messages API calls in flight at once since start',
    labelNames: [],
  } satisfies GaugeDefinition<never>,
  promptCacheBreakpoints: {
    type: 'counter',
    name: 'pipeline_claude_cache_breakpoints_total',
    help: 'System prompts the worker marked with cache_control (long enough to cache)',
    labelNames: ['model'],
  } satisfies CounterDefinition<'model'>,
} as const;

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

export function createWorkerMetrics(registry: Registry) {
  return {
    registry,
    requests: createCounter(registry, METRICS.claudeRequests),
    throttled: createCounter(registry, METRICS.claude429),
    accountErrors: createCounter(registry, METRICS.claudeAccountErrors),
    tokens: createCounter(registry, METRICS.claudeTokens),
    cost: createCounter(registry, METRICS.claudeCost),
    requestDuration: createHistogram(registry, METRICS.claudeRequestDuration),
    jobDuration: createHistogram(registry, METRICS.jobDuration),
    recordsProcessed: createCounter(registry, METRICS.recordsProcessed),
    retryRecords: createCounter(registry, METRICS.retryRecords),
    dlqRecords: createCounter(registry, METRICS.dlqRecords),
    inflightRecords: createGauge(registry, METRICS.inflightMessages),
    claudeInflight: createGauge(registry, WORKER_METRICS.claudeInflight),
    claudeInflightPeak: createGauge(registry, WORKER_METRICS.claudeInflightPeak),
    claudeWaiting: createGauge(registry, WORKER_METRICS.claudeWaiting),
    dispatched: createCounter(registry, WORKER_METRICS.claudeDispatched),
    limiterWait: createHistogram(registry, WORKER_METRICS.limiterWait),
    cacheBreakpoints: createCounter(registry, WORKER_METRICS.promptCacheBreakpoints),
  };
}
