import { z } from 'zod';
import {
  callbackUrlSchema,
  correlationIdSchema,
  generationSchema,
  jobIdSchema,
  jobModeSchema,
  metadataSchema,
  modelIdSchema,
  schemaVersionSchema,
  taskClassSchema,
  tenantIdSchema,
  timestampSchema,
} from './common.ts';
import {
  maxTokensSchema,
  messageParamSchema,
  systemPromptSchema,
  temperatureSchema,
  toolChoiceSchema,
  toolSchema,
} from './messages.ts';

/** Bounds that keep one job record well under the broker's default 1 MiB message size. */
export const JOB_LIMITS = { maxMessages: 1000, maxTools: 128 } as const;

/** The Claude call of a job, shared by `pipeline.jobs` and `POST /v1/jobs`. */
export const claudeRequestShape = {
  model: modelIdSchema.optional(),
  task_class: taskClassSchema.optional(),
  system: systemPromptSchema.optional(),
  messages: z.array(messageParamSchema).min(1).max(JOB_LIMITS.maxMessages),
  max_tokens: maxTokensSchema,
  temperature: temperatureSchema.optional(),
  tools: z.array(toolSchema).min(1).max(JOB_LIMITS.maxTools).optional(),
  tool_choice: toolChoiceSchema.optional(),
};

interface RoutingFields {
  model?: string | undefined;
  task_class?: string | undefined;
  mode?: string | undefined;
  stream?: boolean | undefined;
}

/** Rules that span fields; shared by the job record and the HTTP submission. */
export function checkRouting(
  value: RoutingFields,
  ctx: z.RefinementCtx,
  options: { requireModelOrTaskClass: boolean },
): void {
  if (value.model !== undefined && value.task_class !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['task_class'],
      message: 'give either model or task_class, not both',
    });
  }
  if (
    options.requireModelOrTaskClass &&
    value.model === undefined &&
    value.task_class === undefined
  ) {
    ctx.addIssue({ code: 'custom', path: ['model'], message: 'model or task_class is required' });
  }
  if (value.stream === true && value.mode === 'batch') {
    ctx.addIssue({
      code: 'custom',
      path: ['stream'],
      message: 'stream is only available in realtime mode',
    });
  }
}

/** Value of `pipeline.jobs` (key: job id): one record per unique job and generation. */
export const jobRecordSchema = z
  .object({
    schema_version: schemaVersionSchema,
    job_id: jobIdSchema,
    tenant: tenantIdSchema,
    correlation_id: correlationIdSchema,
    generation: generationSchema,
    mode: jobModeSchema,
    ...claudeRequestShape,
    stream: z.boolean().describe('Publish token deltas on pipeline.stream (realtime only).'),
    callback: z.object({ url: callbackUrlSchema }).optional(),
    metadata: metadataSchema.optional(),
    created_at: timestampSchema,
  })
  .superRefine((value, ctx) => checkRouting(value, ctx, { requireModelOrTaskClass: true }))
  .describe(
    'A unique job: who asked (tenant), what to ask Claude, how (mode, stream) and where to ' +
      'report (callback). Exactly one of model and task_class is set.',
  );
export type JobRecord = z.infer<typeof jobRecordSchema>;
