import {
  createCounter,
  createGauge,
  createHistogram,
  type CounterDefinition,
  type GaugeDefinition,
  type HistogramDefinition,
} from '@claude-pipeline/telemetry';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The sim's Prometheus metrics. Names follow the workspace registry's rules (`pipeline_` prefix,
 * unit before `_total`); they live here because only the sim emits them.
 */
export const SIM_METRICS = {
  requests: {
    type: 'counter',
    name: 'pipeline_sim_requests_total',
    help: 'Requests the sim answered, by endpoint, model and status (or reset/aborted)',
    labelNames: ['endpoint', 'model', 'status'],
  } satisfies CounterDefinition<'endpoint' | 'model' | 'status'>,
  inflight: {
    type: 'gauge',
    name: 'pipeline_sim_inflight_requests',
    help: 'Requests the sim is handling now (including streams and hung connections)',
    labelNames: [],
  } satisfies GaugeDefinition<never>,
  processing: {
    type: 'histogram',
    name: 'pipeline_sim_processing_seconds',
    help: "The sim's own synchronous work per request (parse, validate, plan, serialize)",
    labelNames: ['endpoint'],
    // Seconds: normally well under a millisecond.
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
  } satisfies HistogramDefinition<'endpoint'>,
  addedLatency: {
    type: 'histogram',
    name: 'pipeline_sim_added_latency_seconds',
    help: 'Wall time per request minus the waits the sim simulates: its processing plus queueing',
    labelNames: ['endpoint'],
    // Seconds: tens of milliseconds mean the sim (or its host) is the bottleneck.
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  } satisfies HistogramDefinition<'endpoint'>,
  tokens: {
    type: 'counter',
    name: 'pipeline_sim_tokens_total',
    help: 'Tokens the sim billed, by kind (input, output, cache_read, cache_write) and model',
    labelNames: ['kind', 'model'],
  } satisfies CounterDefinition<'kind' | 'model'>,
  faults: {
    type: 'counter',
    name: 'pipeline_sim_faults_total',
    help: 'Faults injected, by kind (error_<status>, hang, reset, delay, stream_error, expire, ...)',
    labelNames: ['kind'],
  } satisfies CounterDefinition<'kind'>,
} as const;

export interface SimMetrics {
  requests: Counter<'endpoint' | 'model' | 'status'>;
  inflight: Gauge;
  processing: Histogram<'endpoint'>;
  addedLatency: Histogram<'endpoint'>;
  tokens: Counter<'kind' | 'model'>;
  faults: Counter<'kind'>;
}

export function createSimMetrics(registry: Registry): SimMetrics {
  return {
    requests: createCounter(registry, SIM_METRICS.requests),
    inflight: createGauge(registry, SIM_METRICS.inflight),
    processing: createHistogram(registry, SIM_METRICS.processing),
    addedLatency: createHistogram(registry, SIM_METRICS.addedLatency),
    tokens: createCounter(registry, SIM_METRICS.tokens),
    faults: createCounter(registry, SIM_METRICS.faults),
  };
}
