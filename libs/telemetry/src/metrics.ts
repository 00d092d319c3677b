/**
 * Prometheus metric names: the one registry. Every name starts with `pipeline_` and ends in its
 * unit (`_seconds`, `_records`, `_messages`, …; counters end in `_total`, after the unit where
 * there is one: `_usd_total`). Each service labels everything with `service` (registry default).
 */

interface BaseDefinition<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
}

export interface CounterDefinition<L extends string = string> extends BaseDefinition<L> {
  readonly type: 'counter';
}

export interface GaugeDefinition<L extends string = string> extends BaseDefinition<L> {
  readonly type: 'gauge';
}

export interface HistogramDefinition<L extends string = string> extends BaseDefinition<L> {
  readonly type: 'histogram';
  /** Upper bounds of the buckets, in the unit of the name. */
  readonly buckets: readonly number[];
}

export type MetricDefinition<L extends string = string> =
  CounterDefinition<L> | GaugeDefinition<L> | HistogramDefinition<L>;

const counter = <const L extends string = never>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): CounterDefinition<L> => ({ type: 'counter', name, help, labelNames });

const gauge = <const L extends string = never>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): GaugeDefinition<L> => ({ type: 'gauge', name, help, labelNames });

const histogram = <const L extends string = never>(
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: readonly number[],
): HistogramDefinition<L> => ({ type: 'histogram', name, help, labelNames, buckets });

/** Seconds. A Kafka produce with acks=all: milliseconds normally, seconds when a broker is slow. */
export const PRODUCE_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;
/** Seconds. A callback POST: fast receivers answer in ms; the delivery timeout caps it. */
export const DELIVERY_BUCKETS_SECONDS = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
] as const;
/** Seconds. A Messages API call: long generations and streams take minutes. */
export const CLAUDE_BUCKETS_SECONDS = [
  0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600,
] as const;
/** Seconds. Accepted to terminal result: seconds in realtime mode, up to 24 h in batch mode. */
export const JOB_BUCKETS_SECONDS = [
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  300,
  900,
  3600,
  4 * 3600,
  12 * 3600,
  24 * 3600,
] as const;

export const METRICS = {
  // Kafka consumption
  consumerLag: gauge(
    'pipeline_consumer_lag_records',
    'Records between the committed offset and the high watermark of a partition',
    ['group', 'topic', 'partition'],
  ),
  inflightMessages: gauge(
    'pipeline_inflight_messages',
    'Records received from Kafka and not yet finished (committed or handed to retry/DLQ)',
    ['topic'],
  ),
  recordsProcessed: counter(
    'pipeline_records_processed_total',
    'Records finished by a consumer, by outcome (ok, retry, dlq, skipped)',
    ['topic', 'outcome'],
  ),
  retryRecords: counter(
    'pipeline_retry_records_total',
    'Records sent to a retry stage, by stage and error class',
    ['stage', 'error_class'],
  ),
  dlqRecords: counter(
    'pipeline_dlq_records_total',
    'Records sent to a dead-letter topic, by error class and the stage they died in',
    ['topic', 'error_class', 'stage'],
  ),
  dlqDepth: gauge(
    'pipeline_dlq_depth_records',
    'Records in a dead-letter topic (high watermark minus low watermark, all partitions)',
    ['topic'],
  ),
  // Kafka production
  kafkaProduceDuration: histogram(
    'pipeline_kafka_produce_duration_seconds',
    'Time from queueing a record to the broker acknowledging it (acks=all)',
    ['topic'],
    PRODUCE_BUCKETS_SECONDS,
  ),
  kafkaProducedRecords: counter(
    'pipeline_kafka_produced_records_total',
    'Records acknowledged by the broker',
    ['topic'],
  ),
  // ingest and dedupe
  ingestEvents: counter(
    'pipeline_ingest_events_total',
    'Inbound webhooks and job submissions, by source and outcome (accepted, rejected)',
    ['source', 'outcome'],
  ),
  webhookVerificationFailures: counter(
    'pipeline_webhook_verification_failures_total',
    'Inbound webhooks whose signature or timestamp failed verification, by reason',
    ['source', 'reason'],
  ),
  dedupeDuplicates: counter(
    'pipeline_dedupe_duplicates_total',
    'Events dropped as repeats of an idempotency key seen within the window',
  ),
  dedupeStoreKeys: gauge(
    'pipeline_dedupe_store_keys',
    'Idempotency keys held in the local dedupe store',
    ['partition'],
  ),
  // Claude API
  claudeRequests: counter(
    'pipeline_claude_requests_total',
    'Calls to the Anthropic API, by model, mode and HTTP status (or "error" without one)',
    ['model', 'mode', 'status'],
  ),
  claude429: counter(
    'pipeline_claude_429_total',
    'Anthropic API answers with status 429 (rate limited)',
    ['model'],
  ),
  claudeAccountErrors: counter(
    'pipeline_claude_account_errors_total',
    'Anthropic API answers with status 401 or 403: consumption stops until fixed',
    ['status'],
  ),
  claudeTokens: counter(
    'pipeline_claude_tokens_total',
    'Tokens billed by the Anthropic API, by kind (input, output, cache_read, cache_write)',
    ['kind', 'model', 'mode'],
  ),
  claudeCost: counter(
    'pipeline_claude_cost_usd_total',
    'Estimated cost of Anthropic API usage in US dollars (list prices; batch discount applied)',
    ['model', 'mode'],
  ),
  claudeRequestDuration: histogram(
    'pipeline_claude_request_duration_seconds',
    'Duration of a Messages API call, to the last streamed token',
    ['model', 'outcome'],
    CLAUDE_BUCKETS_SECONDS,
  ),
  openBatches: gauge(
    'pipeline_open_batches',
    'Message Batches submitted and not yet ended, as kept in the batches topic',
  ),
  // results and callbacks
  jobDuration: histogram(
    'pipeline_job_duration_seconds',
    'Time from a job being accepted to its result (succeeded or failed)',
    ['mode', 'outcome'],
    JOB_BUCKETS_SECONDS,
  ),
  deliveryDuration: histogram(
    'pipeline_delivery_duration_seconds',
    'Duration of one callback POST, by outcome (2xx, 3xx, 4xx, 5xx, timeout, error)',
    ['outcome'],
    DELIVERY_BUCKETS_SECONDS,
  ),
  deliveries: counter(
    'pipeline_deliveries_total',
    'Callback delivery attempts, by outcome (2xx, 3xx, 4xx, 5xx, timeout, error, blocked)',
    ['outcome'],
  ),
  undeliverable: counter(
    'pipeline_undeliverable_total',
    'Jobs whose callback was given up after the last retry stage',
  ),
} as const;

export type MetricKey = keyof typeof METRICS;
