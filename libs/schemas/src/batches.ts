import { z } from 'zod';
import {
  correlationIdSchema,
  generationSchema,
  jobIdSchema,
  offsetSchema,
  schemaVersionSchema,
  tenantIdSchema,
  timestampSchema,
  traceparentSchema,
  tracestateSchema,
} from './common.ts';

/**
 * Values of `pipeline.batches` (compacted; tombstoned when done) and
 * `pipeline.batches.control`. A packing intent is written (key: intent id) before a Message
 * Batch is created, so a crash between creating the batch and recording it is recoverable; the
 * open batch record (key: batch id) is what the poller resumes from after a restart.
 */

/** The Message Batches API caps a batch at 100,000 requests. */
export const MAX_BATCH_REQUESTS = 100_000;

export const BATCH_ID_PATTERN = /^[a-zA-Z0-9_-]{1,128}$/;
export const batchIdSchema = z.string().regex(BATCH_ID_PATTERN).describe('Message Batch id.');
export const intentIdSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,64}$/)
  .describe('Packing intent id.');

export const batchJobRefSchema = z.object({
  job_id: jobIdSchema,
  tenant: tenantIdSchema,
  correlation_id: correlationIdSchema,
  generation: generationSchema,
  traceparent: traceparentSchema.optional(),
  tracestate: tracestateSchema.optional(),
});
export type BatchJobRef = z.infer<typeof batchJobRefSchema>;

export const sourceOffsetRangeSchema = z
  .object({
    topic: z.string().min(1).max(249),
    partition: z.int().min(0),
    from_offset: offsetSchema,
    to_offset: offsetSchema.describe('Inclusive.'),
  })
  .refine((range) => BigInt(range.from_offset) <= BigInt(range.to_offset), {
    message: 'from_offset must not exceed to_offset',
    path: ['to_offset'],
  })
  .describe('The batch-mode jobs of this partition range are all in the intent.');
export type SourceOffsetRange = z.infer<typeof sourceOffsetRangeSchema>;

export const batchIntentSchema = z.object({
  schema_version: schemaVersionSchema,
  type: z.literal('intent'),
  intent_id: intentIdSchema,
  created_at: timestampSchema,
  jobs: z
    .array(batchJobRefSchema)
    .min(1)
    .max(MAX_BATCH_REQUESTS)
    .describe('Jobs to pack, each with its own trace context.'),
  source_offsets: z.array(sourceOffsetRangeSchema).min(1),
});
export type BatchIntent = z.infer<typeof batchIntentSchema>;

export const openBatchSchema = z.object({
  schema_version: schemaVersionSchema,
  type: z.literal('batch'),
  batch_id: batchIdSchema,
  intent_id: intentIdSchema,
  created_at: timestampSchema,
  expires_at: timestampSchema.describe('When the API expires unfinished requests (24 hours).'),
  job_ids: z.array(jobIdSchema).min(1).max(MAX_BATCH_REQUESTS),
});
export type OpenBatch = z.infer<typeof openBatchSchema>;

export const batchesRecordSchema = z
  .discriminatedUnion('type', [batchIntentSchema, openBatchSchema])
  .describe(
    'A packing intent (key: intent id) or an open Message Batch (key: batch id). ' +
      'A null value (tombstone) removes the key when the intent or batch is done.',
  );
export type BatchesRecord = z.infer<typeof batchesRecordSchema>;

export const batchControlSchema = z
  .object({
    schema_version: schemaVersionSchema,
    batch_id: batchIdSchema,
    requested_at: timestampSchema,
    reason: z.enum(['completion_notification', 'manual']),
  })
  .describe('"Poll this batch now" (key: batch id), e.g. from a batch completion notification.');
export type BatchControl = z.infer<typeof batchControlSchema>;
