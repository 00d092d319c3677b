/**
 * Span attribute names: the one registry. Custom names live under `pipeline.`; standard ones come
 * from the OpenTelemetry semantic conventions.
 *
 * Never put secrets or message bodies on spans: prompts, results, callback bodies, API keys and
 * signatures stay out. Ids, counts, states and error classes go in.
 */

// --- pipeline.* (ours) -------------------------------------------------------------------------

/** Job id (deterministic from tenant + idempotency key), string. */
export const ATTR_PIPELINE_JOB_ID = 'pipeline.job.id';
/** `realtime` | `batch`. */
export const ATTR_PIPELINE_JOB_MODE = 'pipeline.job.mode';
/** Lifecycle state written by this span (`accepted`, `queued`, … `delivered`). */
export const ATTR_PIPELINE_JOB_STATE = 'pipeline.job.state';
/** Tenant id, string. */
export const ATTR_PIPELINE_TENANT = 'pipeline.tenant';
/** The `correlation-id` header that survives retries, batches and redrives. */
export const ATTR_PIPELINE_CORRELATION_ID = 'pipeline.correlation_id';
/** Job generation, int (raised by a DLQ redrive). */
export const ATTR_PIPELINE_GENERATION = 'pipeline.generation';
/** Attempt number, int, 1-based. */
export const ATTR_PIPELINE_ATTEMPT = 'pipeline.attempt';
/** Retry stage the record is in or goes to, int (0 = the source topic). */
export const ATTR_PIPELINE_RETRY_STAGE = 'pipeline.retry.stage';
/** Not-before time of a retry record, int, epoch ms. */
export const ATTR_PIPELINE_RETRY_NOT_BEFORE_MS = 'pipeline.retry.not_before_ms';
/** `invalid` | `transient` | `throttled` | `account` (ARCHITECTURE.md, "Error classes"). */
export const ATTR_PIPELINE_ERROR_CLASS = 'pipeline.error.class';
/** Whether the failure may succeed when tried again, boolean. */
export const ATTR_PIPELINE_ERROR_RETRIABLE = 'pipeline.error.retriable';
/** Stage a record died in (DLQ header), string. */
export const ATTR_PIPELINE_DLQ_STAGE = 'pipeline.dlq.stage';
/** Whether dedupe dropped the record as a repeat, boolean. */
export const ATTR_PIPELINE_DEDUPE_DUPLICATE = 'pipeline.dedupe.duplicate';
/** Message Batches batch id, string. */
export const ATTR_PIPELINE_BATCH_ID = 'pipeline.batch.id';
/** Number of requests in a Message Batch, int. */
export const ATTR_PIPELINE_BATCH_SIZE = 'pipeline.batch.size';
/** Callback destination host (never the full URL: it may carry tokens), string. */
export const ATTR_PIPELINE_DELIVERY_HOST = 'pipeline.delivery.host';
/** Standard Webhooks `webhook-id` of a callback, string. */
export const ATTR_PIPELINE_WEBHOOK_ID = 'pipeline.webhook.id';
/** Webhook source configured for a tenant (`github`, `stripe`, …), string. */
export const ATTR_PIPELINE_WEBHOOK_SOURCE = 'pipeline.webhook.source';
/** Seconds the rate limiter made a call wait, double. */
export const ATTR_PIPELINE_RATE_LIMIT_WAIT_S = 'pipeline.rate_limit.wait_s';

// --- messaging.* and gen_ai.* (semantic conventions, incubating) ------------------------------
// Copied rather than imported from `@opentelemetry/semantic-conventions/incubating`, as its README
// asks: incubating names may change in a minor release. Values as of semconv 1.45 (a unit test
// compares them with the installed package).

export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const MESSAGING_SYSTEM_VALUE_KAFKA = 'kafka';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const MESSAGING_OPERATION_TYPE_VALUE_SEND = 'send';
export const MESSAGING_OPERATION_TYPE_VALUE_RECEIVE = 'receive';
export const MESSAGING_OPERATION_TYPE_VALUE_PROCESS = 'process';
export const MESSAGING_OPERATION_TYPE_VALUE_SETTLE = 'settle';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const ATTR_MESSAGING_CLIENT_ID = 'messaging.client.id';
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
export const ATTR_MESSAGING_KAFKA_MESSAGE_KEY = 'messaging.kafka.message.key';
export const ATTR_MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';
export const ATTR_MESSAGING_KAFKA_MESSAGE_TOMBSTONE = 'messaging.kafka.message.tombstone';

export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC = 'anthropic';
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS =
  'gen_ai.usage.cache_creation.input_tokens';

// --- stable semantic conventions ---------------------------------------------------------------

export {
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
