import { z } from 'zod';
import {
  errorClassSchema,
  generationSchema,
  jobIdSchema,
  modelIdSchema,
  schemaVersionSchema,
  tenantIdSchema,
} from './common.ts';
import { stopReasonSchema, usageSchema } from './messages.ts';

/**
 * Value of `pipeline.stream` (key: job id). Per (job, generation, attempt), `seq` counts every
 * record from 0 without gaps: block starts and deltas, then exactly one `end` or `abort`. A
 * record with a higher attempt starts the text over: readers drop what they showed of the
 * earlier attempt.
 */
const streamBase = {
  schema_version: schemaVersionSchema,
  job_id: jobIdSchema,
  tenant: tenantIdSchema,
  generation: generationSchema,
  attempt: z.int().min(1).describe('Processing attempt that produced the record.'),
  seq: z.int().min(0).describe('Sequence number within (generation, attempt), from 0.'),
};

const blockIndex = z.int().min(0).describe('Index of the content block in the response.');

export const streamBlockStartSchema = z.object({
  ...streamBase,
  type: z.literal('block_start'),
  index: blockIndex,
  block: z.discriminatedUnion('type', [
    z.object({ type: z.literal('text') }),
    z.object({ type: z.literal('tool_use'), id: z.string().min(1).max(256), name: z.string() }),
  ]),
});

export const streamDeltaSchema = z.object({
  ...streamBase,
  type: z.literal('delta'),
  index: blockIndex,
  delta: z.discriminatedUnion('type', [
    z.object({ type: z.literal('text_delta'), text: z.string() }),
    z.object({ type: z.literal('input_json_delta'), partial_json: z.string() }),
  ]),
});

export const streamEndSchema = z.object({
  ...streamBase,
  type: z.literal('end'),
  stop_reason: stopReasonSchema,
  usage: usageSchema,
  model: modelIdSchema,
});

export const streamAbortSchema = z.object({
  ...streamBase,
  type: z.literal('abort'),
  error: z.object({ class: errorClassSchema, message: z.string().max(1024) }),
  retrying: z.boolean().describe('Whether another attempt (with attempt + 1) will follow.'),
});

export const streamRecordSchema = z
  .discriminatedUnion('type', [
    streamBlockStartSchema,
    streamDeltaSchema,
    streamEndSchema,
    streamAbortSchema,
  ])
  .describe(
    'Token stream of a realtime job: block starts and deltas numbered by seq, then an end ' +
      'record (stop reason, usage) or an abort record when the attempt failed.',
  );
export type StreamRecord = z.infer<typeof streamRecordSchema>;
export type StreamRecordType = StreamRecord['type'];
