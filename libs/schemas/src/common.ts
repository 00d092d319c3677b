import { z } from 'zod';

/**
 * Building blocks shared by every contract: ids, timestamps, versions, bounded maps.
 * Contracts: ARCHITECTURE.md, "Tenancy and ids" and "Message conventions".
 */

/**
 * Major version of every Kafka record value and callback payload defined here. A record says
 * which major it follows in its `schema_version` field (and its CloudEvents `ce_type` ends in
 * `.v<major>`). Within a major only backward- and forward-compatible changes are allowed; see
 * README.md, "Versioning".
 */
export const SCHEMA_VERSION = 1;

export const schemaVersionSchema = z
  .literal(SCHEMA_VERSION)
  .describe('Major version of this record schema. Changes only on a breaking change.');

/** Job ids become Message Batches `custom_id`s, hence the narrow alphabet and the 64 limit. */
export const JOB_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export const jobIdSchema = z
  .string()
  .regex(JOB_ID_PATTERN)
  .describe('Job id, derived deterministically from (tenant, idempotency key).');

export const isJobId = (value: unknown): value is string =>
  typeof value === 'string' && JOB_ID_PATTERN.test(value);

export const TENANT_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export const tenantIdSchema = z
  .string()
  .regex(TENANT_ID_PATTERN)
  .describe('Tenant that owns the job: the API key tenant or the webhook source tenant.');

/** Printable ASCII without spaces: it travels as a Kafka and HTTP header value. */
export const CORRELATION_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

export const correlationIdSchema = z
  .string()
  .regex(CORRELATION_ID_PATTERN)
  .describe('Correlation id that survives retries, batches and redrives.');

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .describe('Idempotency key, unique per tenant within the dedupe window.');

export const generationSchema = z
  .int()
  .min(1)
  .describe('Generation of the job: 1 on first submission, raised by each DLQ redrive.');

/** RFC 3339 / ISO 8601 in UTC with a `Z` suffix, as `Date.prototype.toISOString()` writes it. */
export const timestampSchema = z.iso.datetime().describe('UTC timestamp (RFC 3339, `Z` suffix).');

export const JOB_MODES = ['realtime', 'batch'] as const;
export const jobModeSchema = z
  .enum(JOB_MODES)
  .describe('`realtime`: Messages API call; `batch`: Message Batches API (cheaper, slower).');
export type JobMode = z.infer<typeof jobModeSchema>;

export const ERROR_CLASSES = ['invalid', 'transient', 'throttled', 'account'] as const;
export const errorClassSchema = z
  .enum(ERROR_CLASSES)
  .describe(
    'invalid: the job can never succeed as is; transient: may succeed on retry; ' +
      'throttled: rate limited; account: credentials or permissions of the pipeline.',
  );
export type ErrorClass = z.infer<typeof errorClassSchema>;

/** Bounds of `metadata`, chosen so a record stays small whatever a client sends. */
export const METADATA_LIMITS = { maxKeys: 16, maxKeyLength: 64, maxValueLength: 512 } as const;

export const metadataSchema = z
  .record(
    z.string().min(1).max(METADATA_LIMITS.maxKeyLength),
    z.string().max(METADATA_LIMITS.maxValueLength),
  )
  .refine((value) => Object.keys(value).length <= METADATA_LIMITS.maxKeys, {
    message: `at most ${METADATA_LIMITS.maxKeys} metadata keys`,
  })
  .meta({
    maxProperties: METADATA_LIMITS.maxKeys,
    description: 'Client-defined string map, echoed on results and callbacks.',
  });
export type Metadata = z.infer<typeof metadataSchema>;

/** Model ids as the Messages API names them (`claude-sonnet-4-5`, dated or cloud-prefixed). */
export const modelIdSchema = z
  .string()
  .regex(/^[a-zA-Z0-9._:@-]{1,128}$/)
  .describe('Claude model id.');

export const taskClassSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/)
  .describe('Task class the worker routes to a model (routing table is worker config).');

/** W3C Trace Context `traceparent`, version 00. */
export const TRACEPARENT_PATTERN = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export const traceparentSchema = z
  .string()
  .regex(TRACEPARENT_PATTERN)
  .describe('W3C traceparent of the job.');
export const tracestateSchema = z.string().max(512).describe('W3C tracestate of the job.');

export const callbackUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .describe('URL the notifier POSTs the result to (checked against SSRF rules at delivery).');

/** Kafka offsets are int64: carried as decimal strings so no JSON reader loses precision. */
export const offsetSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,18})$/)
  .describe('Kafka offset (int64) as a decimal string.');
