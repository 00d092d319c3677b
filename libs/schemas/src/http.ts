import { z } from 'zod';
import {
  callbackUrlSchema,
  correlationIdSchema,
  generationSchema,
  jobIdSchema,
  jobModeSchema,
  metadataSchema,
  timestampSchema,
} from './common.ts';
import { checkRouting, claudeRequestShape } from './jobs.ts';
import { maxTokensSchema } from './messages.ts';
import { resultOutcomeSchema } from './results.ts';
import { attemptSchema, jobStateSchema } from './status.ts';

/**
 * Bodies of the HTTP API. They are versioned by path (`/v1/...`), not by a field: a breaking
 * change means a `/v2` route. Request bodies are strict (an unknown field is a 400, so a typo
 * like `max_token` is not silently ignored); response bodies may grow new fields.
 */

export const MAX_PROMPT_LENGTH = 1_000_000;

/** `POST /v1/jobs`. Idempotency key and correlation id come as headers. */
export const jobSubmissionSchema = z
  .strictObject({
    ...claudeRequestShape,
    messages: claudeRequestShape.messages.optional(),
    prompt: z
      .string()
      .min(1)
      .max(MAX_PROMPT_LENGTH)
      .optional()
      .describe('Shorthand for messages: [{ role: "user", content: prompt }].'),
    max_tokens: maxTokensSchema
      .optional()
      .describe('Maximum output tokens (server default if absent).'),
    mode: jobModeSchema.optional().describe('Default `realtime`.'),
    stream: z.boolean().optional().describe('Return a stream_url for live tokens (realtime only).'),
    callback_url: callbackUrlSchema.optional(),
    metadata: metadataSchema.optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.messages === undefined) === (value.prompt === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['messages'],
        message: 'give exactly one of messages and prompt',
      });
    }
    checkRouting(value, ctx, { requireModelOrTaskClass: false });
  })
  .describe(
    'A job submission: messages or prompt, at most one of model and task_class (the default ' +
      'task class applies when both are absent).',
  );
export type JobSubmission = z.infer<typeof jobSubmissionSchema>;

const linkSchema = z
  .string()
  .min(1)
  .max(4096)
  .describe('Absolute URL, or a path relative to the API origin.');

/** `202 Accepted` answer to `POST /v1/jobs`, sent only after Kafka acknowledged the event. */
export const jobSubmissionResponseSchema = z
  .object({
    id: jobIdSchema,
    status_url: linkSchema.describe('GET it for the job status (needs the API key).'),
    stream_url: linkSchema
      .optional()
      .describe('Signed, short-lived Server-Sent Events URL; present when stream was asked.'),
  })
  .describe('The job was accepted: a repeat of the same idempotency key returns the same id.');
export type JobSubmissionResponse = z.infer<typeof jobSubmissionResponseSchema>;

/** `GET /v1/jobs/:id`. */
export const jobStatusResponseSchema = z
  .object({
    id: jobIdSchema,
    correlation_id: correlationIdSchema,
    generation: generationSchema,
    state: jobStateSchema,
    mode: jobModeSchema,
    updated_at: timestampSchema,
    attempts: z.array(attemptSchema),
    batch_id: z.string().max(128).optional(),
    result: resultOutcomeSchema.optional().describe('Present from `succeeded`/`failed` on.'),
  })
  .describe('Current state of a job, with its result once there is one.');
export type JobStatusResponse = z.infer<typeof jobStatusResponseSchema>;
