import {
  createCounter,
  createGauge,
  createHistogram,
  METRICS,
  PRODUCE_BUCKETS_SECONDS,
  type CounterDefinition,
  type HistogramDefinition,
} from '@claude-pipeline/telemetry';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

// dedupe's own metrics. They belong in METRICS of libs/telemetry (the one registry of names);
// they are defined here, in the same shape, until that lib takes them.
const DEDUPE_METRICS = {
  transactionDuration: {
    type: 'histogram',
    name: 'pipeline_dedupe_transaction_duration_seconds',
    help: 'Duration of one dedupe Kafka transaction (begin to commit or abort), by outcome',
    labelNames: ['outcome'],
    buckets: PRODUCE_BUCKETS_SECONDS,
  } satisfies HistogramDefinition<'outcome'>,
  transactionRecords: {
    type: 'histogram',
    name: 'pipeline_dedupe_transaction_records',
    help: 'Input records committed by one dedupe transaction',
    labelNames: [],
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
  } satisfies HistogramDefinition<never>,
  restoreDuration: {
    type: 'histogram',
    name: 'pipeline_dedupe_restore_duration_seconds',
    help: 'Time to restore one partition of the dedupe store from its changelog (fence included)',
    labelNames: [],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300],
  } satisfies HistogramDefinition<never>,
  restoredRecords: {
    type: 'counter',
    name: 'pipeline_dedupe_restored_records_total',
    help: 'Changelog records replayed into the local dedupe store',
    labelNames: [],
  } satisfies CounterDefinition<never>,
  expiredKeys: {
    type: 'counter',
    name: 'pipeline_dedupe_expired_keys_total',
    help: 'Idempotency keys removed from the dedupe store by a tombstone after their window',
    labelNames: [],
  } satisfies CounterDefinition<never>,
  transactionFailures: {
    type: 'counter',
    name: 'pipeline_dedupe_transaction_failures_total',
    help: 'Dedupe transactions that failed (aborted, retried), by reason (fenced, error)',
    labelNames: ['reason'],
  } satisfies CounterDefinition<'reason'>,
} as const;

export interface DedupeMetrics {
  /** Input records by outcome: ok (became a job), skipped (duplicate), dlq (poison). */
  recordsProcessed: Counter<'topic' | 'outcome'>;
  duplicates: Counter;
  dlqRecords: Counter<'topic' | 'error_class' | 'stage'>;
  /** Committed output records by topic (jobs out: the jobs topic). */
  producedRecords: Counter<'topic'>;
  storeKeys: Gauge<'partition'>;
  consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  transactionDuration: Histogram<'outcome'>;
  transactionRecords: Histogram;
  transactionFailures: Counter<'reason'>;
  restoreDuration: Histogram;
  restoredRecords: Counter;
  expiredKeys: Counter;
}

export function createDedupeMetrics(registry: Registry): DedupeMetrics {
  return {
    recordsProcessed: createCounter(registry, METRICS.recordsProcessed),
    duplicates: createCounter(registry, METRICS.dedupeDuplicates),
    dlqRecords: createCounter(registry, METRICS.dlqRecords),
    producedRecords: createCounter(registry, METRICS.kafkaProducedRecords),
    storeKeys: createGauge(registry, METRICS.dedupeStoreKeys),
    consumerLag: createGauge(registry, METRICS.consumerLag),
    transactionDuration: createHistogram(registry, DEDUPE_METRICS.transactionDuration),
    transactionRecords: createHistogram(registry, DEDUPE_METRICS.transactionRecords),
    transactionFailures: createCounter(registry, DEDUPE_METRICS.transactionFailures),
    restoreDuration: createHistogram(registry, DEDUPE_METRICS.restoreDuration),
    restoredRecords: createCounter(registry, DEDUPE_METRICS.restoredRecords),
    expiredKeys: createCounter(registry, DEDUPE_METRICS.expiredKeys),
  };
}
