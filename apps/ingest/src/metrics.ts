import {
  createCounter,
  createGauge,
  createHistogram,
  createMetricsRegistry,
  METRICS,
} from '@claude-pipeline/telemetry';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The metrics ingest reports (names and help texts: libs/telemetry `METRICS`). */
export interface IngestMetrics {
  readonly registry: Registry;
  /** source (`api` or the webhook source), outcome (accepted, ignored, rejected, unavailable). */
  readonly events: Counter<'source' | 'outcome'>;
  readonly verificationFailures: Counter<'source' | 'reason'>;
  readonly produceDuration: Histogram<'topic'>;
  readonly produced: Counter<'topic'>;
  /** Status view: records still to read per partition. */
  readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  /** Status view: records folded in, by outcome (ok, deleted, invalid). */
  readonly recordsProcessed: Counter<'topic' | 'outcome'>;
  /** Live streams: clients attached now. */
  readonly streamClients: Gauge;
  /** Live streams: jobs held in memory now (only those with clients). */
  readonly streamJobs: Gauge;
  /** Live streams: SSE events sent, by event type. */
  readonly streamEvents: Counter<'event'>;
  /** Live streams: streams ended, by reason (finished, client_closed, timeout, slow_client). */
  readonly streamsClosed: Counter<'reason'>;
}

/**
 * Stream metrics, defined here until they join libs/telemetry `METRICS` (names follow its
 * rules: `pipeline_` prefix, unit suffix, `_total` for counters).
 */
const STREAM_METRICS = {
  clients: {
    type: 'gauge',
    name: 'pipeline_ingest_stream_clients',
    help: 'SSE stream clients attached to this replica',
    labelNames: [],
  },
  jobs: {
    type: 'gauge',
    name: 'pipeline_ingest_stream_jobs',
    help: 'Job streams held in memory by this replica (jobs with at least one client)',
    labelNames: [],
  },
  events: {
    type: 'counter',
    name: 'pipeline_ingest_stream_events_total',
    help: 'SSE events sent to stream clients, by event type',
    labelNames: ['event'],
  },
  closed: {
    type: 'counter',
    name: 'pipeline_ingest_streams_closed_total',
    help: 'SSE streams ended, by reason',
    labelNames: ['reason'],
  },
} as const;

export function createIngestMetrics(registry?: Registry): IngestMetrics {
  const target = registry ?? createMetricsRegistry({ service: 'ingest' });
  return {
    registry: target,
    events: createCounter(target, METRICS.ingestEvents),
    verificationFailures: createCounter(target, METRICS.webhookVerificationFailures),
    produceDuration: createHistogram(target, METRICS.kafkaProduceDuration),
    produced: createCounter(target, METRICS.kafkaProducedRecords),
    consumerLag: createGauge(target, METRICS.consumerLag),
    recordsProcessed: createCounter(target, METRICS.recordsProcessed),
    streamClients: createGauge(target, STREAM_METRICS.clients),
    streamJobs: createGauge(target, STREAM_METRICS.jobs),
    streamEvents: createCounter(target, STREAM_METRICS.events),
    streamsClosed: createCounter(target, STREAM_METRICS.closed),
  };
}
