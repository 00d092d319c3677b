import { z } from 'zod';
import {
  callbackUrlSchema,
  correlationIdSchema,
  errorClassSchema,
  generationSchema,
  jobIdSchema,
  jobModeSchema,
  metadataSchema,
  modelIdSchema,
  schemaVersionSchema,
  tenantIdSchema,
  timestampSchema,
} from './common.ts';
import { responseContentBlockSchema, stopReasonSchema, usageSchema } from './messages.ts';
import { parse } from './parse.ts';

/** Why a job failed. `retriable` says whether a redrive could succeed without changing it. */
export const jobErrorSchema = z.object({
  class: errorClassSchema,
  message: z.string().max(4096),
  code: z
    .string()
    .max(128)
    .optional()
    .describe('Machine-readable code, e.g. the API error type (`overloaded_error`).'),
  retriable: z.boolean(),
});
export type JobError = z.infer<typeof jobErrorSchema>;

const attemptsSchema = z
  .int()
  .min(1)
  .describe('Calls made for this generation, this one included.');

/** The outcome of a job, without the envelope: shared by results, status and callbacks. */
const succeededShape = {
  status: z.literal('succeeded'),
  content: z.array(responseContentBlockSchema),
  stop_reason: stopReasonSchema,
  usage: usageSchema,
  model: modelIdSchema.describe('Model that answered (after routing).'),
  tier: jobModeSchema.describe('API tier that answered: Messages (realtime) or Message Batches.'),
  latency_ms: z.int().min(0).describe('From job creation to result, in milliseconds.'),
  attempts: attemptsSchema,
  cost_estimate_usd: z
    .number()
    .min(0)
    .describe('Estimated cost in US dollars, from usage, tier and the price table.'),
  completed_at: timestampSchema,
};

const failedShape = {
  status: z.literal('failed'),
  error: jobErrorSchema,
  attempts: attemptsSchema,
  completed_at: timestampSchema,
};

export const succeededOutcomeSchema = z.object(succeededShape);
export const failedOutcomeSchema = z.object(failedShape);
export const resultOutcomeSchema = z.discriminatedUnion('status', [
  succeededOutcomeSchema,
  failedOutcomeSchema,
]);
export type SucceededOutcome = z.infer<typeof succeededOutcomeSchema>;
export type FailedOutcome = z.infer<typeof failedOutcomeSchema>;
export type ResultOutcome = z.infer<typeof resultOutcomeSchema>;
export const RESULT_STATUSES = ['succeeded', 'failed'] as const;
export type ResultStatus = ResultOutcome['status'];

const envelopeShape = {
  schema_version: schemaVersionSchema,
  job_id: jobIdSchema,
  tenant: tenantIdSchema,
  correlation_id: correlationIdSchema,
  generation: generationSchema.describe(
    'A later generation supersedes an earlier result of the same job (DLQ redrive).',
  ),
  metadata: metadataSchema.optional(),
  callback: z
    .object({ url: callbackUrlSchema })
    .optional()
    .describe('Where the notifier delivers this result, if the job asked for a callback.'),
};

export const succeededResultSchema = z.object({ ...envelopeShape, ...succeededShape });
export const failedResultSchema = z.object({ ...envelopeShape, ...failedShape });

/** Value of `pipeline.results` (key: job id): the public contract other teams consume. */
export const resultRecordSchema = z
  .discriminatedUnion('status', [succeededResultSchema, failedResultSchema])
  .describe(
    'Result of a job, `succeeded` or `failed`. For one job, keep the record with the highest ' +
      'generation: a redriven job may publish a later result that supersedes a `failed` one.',
  );
export type SucceededResult = z.infer<typeof succeededResultSchema>;
export type FailedResult = z.infer<typeof failedResultSchema>;
export type ResultRecord = z.infer<typeof resultRecordSchema>;

/**
 * The outcome part of a result (what status records and callbacks embed). Parsing with the
 * outcome schema drops the envelope fields, since zod objects strip keys they do not declare.
 */
export function outcomeOf(result: ResultRecord): ResultOutcome {
  return parse(resultOutcomeSchema, result);
}
