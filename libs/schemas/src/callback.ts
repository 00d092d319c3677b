import { z } from 'zod';
import {
  correlationIdSchema,
  generationSchema,
  jobIdSchema,
  metadataSchema,
  schemaVersionSchema,
  timestampSchema,
} from './common.ts';
import { outcomeOf, resultOutcomeSchema, type ResultRecord } from './results.ts';

/**
 * What the notifier POSTs to a callback URL, signed per Standard Webhooks (`webhook-id` is the
 * job id and generation, so a repeated delivery can be dropped by the receiver). The body
 * follows the Standard Webhooks payload shape: `type`, `timestamp`, `data`.
 */
export const CALLBACK_EVENT_TYPES = ['job.succeeded', 'job.failed'] as const;
export type CallbackEventType = (typeof CALLBACK_EVENT_TYPES)[number];

export const callbackPayloadSchema = z
  .object({
    schema_version: schemaVersionSchema,
    type: z.enum(CALLBACK_EVENT_TYPES),
    timestamp: timestampSchema.describe('When the result was produced.'),
    data: z.object({
      job_id: jobIdSchema,
      generation: generationSchema.describe(
        'A higher generation supersedes an earlier callback of the same job.',
      ),
      correlation_id: correlationIdSchema,
      metadata: metadataSchema.optional(),
      result: resultOutcomeSchema,
    }),
  })
  .superRefine((value, ctx) => {
    if (value.type !== `job.${value.data.result.status}`) {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: `type ${value.type} contradicts result status ${value.data.result.status}`,
      });
    }
  })
  .describe('A job result delivered to the callback URL of the job.');
export type CallbackPayload = z.infer<typeof callbackPayloadSchema>;

/** The callback body for a result (timestamp: when the result was produced). */
export function callbackFromResult(result: ResultRecord): CallbackPayload {
  return {
    schema_version: result.schema_version,
    type: result.status === 'succeeded' ? 'job.succeeded' : 'job.failed',
    timestamp: result.completed_at,
    data: {
      job_id: result.job_id,
      generation: result.generation,
      correlation_id: result.correlation_id,
      ...(result.metadata === undefined ? {} : { metadata: result.metadata }),
      result: outcomeOf(result),
    },
  };
}

/** The Standard Webhooks `webhook-id` of a delivery: stable across retries of one generation. */
export const callbackMessageId = (result: Pick<ResultRecord, 'job_id' | 'generation'>): string =>
  `${result.job_id}.${result.generation}`;
