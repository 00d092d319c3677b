import {
  createCounter,
  createGauge,
  METRICS,
  type CounterDefinition,
  type GaugeDefinition,
} from '@claude-pipeline/telemetry';
import type { Counter, Gauge, Registry } from 'prom-client';

// batch-poller's own metrics. They belong in METRICS of libs/telemetry (the one registry of
// names); defined here, in the same shape, until that lib takes them.
const BATCH_METRICS = {
  oldestOpenBatchAge: {
    type: 'gauge',
    name: 'pipeline_batch_oldest_open_age_seconds',
    help: 'Age of the oldest open Message Batch owned by this replica, seconds',
    labelNames: [],
  } satisfies GaugeDefinition<never>,
  pendingRequests: {
    type: 'gauge',
    name: 'pipeline_batch_pending_requests',
    help: 'Batch-mode jobs read and waiting to be packed into a Message Batch',
    labelNames: [],
  } satisfies GaugeDefinition<never>,
  resultsEmitted: {
    type: 'counter',
    name: 'pipeline_batch_results_emitted_total',
    help: 'Results emitted from Message Batch result files, by status (succeeded, failed)',
    labelNames: ['status'],
  } satisfies CounterDefinition<'status'>,
  repacked: {
    type: 'counter',
    name: 'pipeline_batch_repacked_total',
    help: 'Requests packed again after a transient error or expiry, by reason',
    labelNames: ['reason'],
  } satisfies CounterDefinition<'reason'>,
  costSaved: {
    type: 'counter',
    name: 'pipeline_batch_cost_saved_usd_total',
    help: 'US dollars saved by the batch price against the realtime list price',
    labelNames: ['model'],
  } satisfies CounterDefinition<'model'>,
  intents: {
    type: 'counter',
    name: 'pipeline_batch_intents_total',
    help: 'Packing intents committed',
    labelNames: [],
  } satisfies CounterDefinition<never>,
  batchesCreated: {
    type: 'counter',
    name: 'pipeline_batch_created_total',
    help: 'Message Batches created (by the packer or by reconciliation)',
    labelNames: [],
  } satisfies CounterDefinition<never>,
  batchesCanceled: {
    type: 'counter',
    name: 'pipeline_batch_canceled_total',
    help: 'Message Batches canceled, by reason (duplicate, orphan, expired)',
    labelNames: ['reason'],
  } satisfies CounterDefinition<'reason'>,
  polls: {
    type: 'counter',
    name: 'pipeline_batch_polls_total',
    help: 'Retrieve calls on open batches, by trigger (schedule, control)',
    labelNames: ['trigger'],
  } satisfies CounterDefinition<'trigger'>,
} as const;

export interface BatchPollerMetrics {
  openBatches: Gauge;
  oldestOpenBatchAge: Gauge;
  pendingRequests: Gauge;
  resultsEmitted: Counter<'status'>;
  repacked: Counter<'reason'>;
  costSaved: Counter<'model'>;
  cost: Counter<'model' | 'mode'>;
  dlqRecords: Counter<'topic' | 'error_class' | 'stage'>;
  intents: Counter;
  batchesCreated: Counter;
  batchesCanceled: Counter<'reason'>;
  polls: Counter<'trigger'>;
}

export function createBatchPollerMetrics(registry: Registry): BatchPollerMetrics {
  return {
    openBatches: createGauge(registry, METRICS.openBatches),
    oldestOpenBatchAge: createGauge(registry, BATCH_METRICS.oldestOpenBatchAge),
    pendingRequests: createGauge(registry, BATCH_METRICS.pendingRequests),
    resultsEmitted: createCounter(registry, BATCH_METRICS.resultsEmitted),
    repacked: createCounter(registry, BATCH_METRICS.repacked),
    costSaved: createCounter(registry, BATCH_METRICS.costSaved),
    cost: createCounter(registry, METRICS.claudeCost),
    dlqRecords: createCounter(registry, METRICS.dlqRecords),
    intents: createCounter(registry, BATCH_METRICS.intents),
    batchesCreated: createCounter(registry, BATCH_METRICS.batchesCreated),
    batchesCanceled: createCounter(registry, BATCH_METRICS.batchesCanceled),
    polls: createCounter(registry, BATCH_METRICS.polls),
  };
}
