import { z } from 'zod';
import {
  idempotencyKeySchema,
  schemaVersionSchema,
  tenantIdSchema,
  timestampSchema,
} from './common.ts';
import { jobRecordSchema } from './jobs.ts';

/** Where an accepted event came from: the HTTP API, or a configured webhook source. */
export const eventSourceSchema = z.object({
  kind: z.enum(['api', 'webhook']),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
    .describe('`api`, or the id of the configured webhook source (`github`, `stripe`, ...).'),
});
export type EventSource = z.infer<typeof eventSourceSchema>;

/** Value of `pipeline.events` (key: tenant + idempotency key). */
export const eventRecordSchema = z
  .object({
    schema_version: schemaVersionSchema,
    tenant: tenantIdSchema,
    idempotency_key: idempotencyKeySchema,
    source: eventSourceSchema,
    event_type: z
      .string()
      .min(1)
      .max(128)
      .describe('`job.submitted` for the API; the source event type for a webhook (`push`).'),
    event_id: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe("The sender's own delivery id, when it has one."),
    received_at: timestampSchema,
    job: jobRecordSchema.describe('The job request built from the event, as dedupe forwards it.'),
  })
  .superRefine((value, ctx) => {
    if (value.job.tenant !== value.tenant) {
      ctx.addIssue({
        code: 'custom',
        path: ['job', 'tenant'],
        message: 'job tenant differs from event tenant',
      });
    }
  })
  .describe('An accepted inbound event and the job request built from it.');
export type EventRecord = z.infer<typeof eventRecordSchema>;
