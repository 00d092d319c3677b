import { z } from 'zod';
import {
  idempotencyKeySchema,
  jobIdSchema,
  schemaVersionSchema,
  tenantIdSchema,
  timestampSchema,
} from './common.ts';

/** Value of `pipeline.dedupe.changelog` (key: tenant + idempotency key; tombstone on expiry). */
export const dedupeEntrySchema = z
  .object({
    schema_version: schemaVersionSchema,
    tenant: tenantIdSchema,
    idempotency_key: idempotencyKeySchema,
    job_id: jobIdSchema,
    first_seen_at: timestampSchema,
    expires_at: timestampSchema.describe('End of the dedupe window for this key.'),
  })
  .describe('First sighting of an idempotency key; repeats before expires_at are dropped.');
export type DedupeEntry = z.infer<typeof dedupeEntrySchema>;
