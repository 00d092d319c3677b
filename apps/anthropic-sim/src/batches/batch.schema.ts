import { z } from 'zod';

/** Requests per batch the API accepts. */
export const MAX_BATCH_REQUESTS = 100_000;
/** Largest create body the API accepts, bytes (256 MB). */
export const MAX_BATCH_BODY_BYTES = 256 * 1024 * 1024;

/** `custom_id`: 1–64 letters, digits, `_` or `-`, unique within its batch. */
export const CUSTOM_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export const createBatchSchema = z.strictObject({
  requests: z
    .array(
      z.strictObject({
        custom_id: z
          .string()
          .regex(CUSTOM_ID_PATTERN, "String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"),
        // The params are validated per request, asynchronously, as on the API: invalid ones end
        // as `errored` results instead of failing the whole batch.
        params: z.record(z.string(), z.unknown()),
      }),
    )
    .min(1)
    .max(MAX_BATCH_REQUESTS),
});

export const listBatchesQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(20),
  before_id: z.string().min(1).optional(),
  after_id: z.string().min(1).optional(),
});
