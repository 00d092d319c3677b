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
}

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
  };
}
