/**
 * What batch-poller keeps on `pipeline.batches`: the public `batch-intent` / `open-batch` records
 * of libs/schemas, plus fields of its own that readers of the contract ignore (zod objects strip
 * keys they do not declare):
 * - each job ref: where the job record is (`source_partition`, `source_offset`: the request body
 *   is read back from pipeline.jobs when an intent is reconciled or a job is dead-lettered) and
 *   its batch `attempt`;
 * - an intent: `repack` (written by the owner for transient/expired requests: no packer races it);
 * - an open batch: `emitted_lines`, the results-file lines already emitted (progress record).
 */
import {
  batchIntentSchema,
  batchJobRefSchema,
  callbackUrlSchema,
  metadataSchema,
  openBatchSchema,
  timestampSchema,
  parse,
} from '@claude-pipeline/schemas';
import { z } from 'zod';

export const storedJobRefSchema = batchJobRefSchema.extend({
  source_partition: z.int().min(0),
  source_offset: z.string().regex(/^\d+$/),
  attempt: z.int().min(1),
  /** When the job was created (for the result's latency). */
  created_at: timestampSchema,
  callback: z.object({ url: callbackUrlSchema }).optional(),
  metadata: metadataSchema.optional(),
});
export type StoredJobRef = z.infer<typeof storedJobRefSchema>;

export const storedIntentSchema = batchIntentSchema.extend({
  jobs: z.array(storedJobRefSchema).min(1),
  repack: z.boolean().optional(),
});
export type StoredIntent = z.infer<typeof storedIntentSchema>;

export const storedBatchSchema = openBatchSchema.extend({
  emitted_lines: z.int().min(0).optional(),
});
export type StoredBatch = z.infer<typeof storedBatchSchema>;

export const storedRecordSchema = z.discriminatedUnion('type', [
  storedIntentSchema,
  storedBatchSchema,
]);
export type StoredRecord = z.infer<typeof storedRecordSchema>;

/**
 * An intent without its job list: the list (up to 100,000 refs) is checked by a loop over the
 * parsed JSON instead of zod, which would copy every ref (a second 50 MB for a large intent).
 */
const intentHeadSchema = storedIntentSchema.extend({ jobs: z.array(z.unknown()).min(1) });

const batchHeadSchema = storedBatchSchema.extend({ job_ids: z.array(z.unknown()).min(1) });
const JOB_ID = /^[a-zA-Z0-9_-]{1,64}$/;

const isRef = (value: unknown): value is StoredJobRef => {
  if (typeof value !== 'object' || value === null) return false;
  const ref = value as Record<string, unknown>;
  return (
    typeof ref['job_id'] === 'string' &&
    typeof ref['tenant'] === 'string' &&
    typeof ref['correlation_id'] === 'string' &&
    Number.isInteger(ref['generation']) &&
    Number.isInteger(ref['source_partition']) &&
    typeof ref['source_offset'] === 'string' &&
    Number.isInteger(ref['attempt']) &&
    typeof ref['created_at'] === 'string' &&
    (ref['traceparent'] === undefined || typeof ref['traceparent'] === 'string')
  );
};

export function decodeStored(value: Buffer): StoredRecord {
  const json = JSON.parse(value.toString('utf8')) as unknown;
  if (typeof json === 'object' && json !== null && (json as { type?: unknown }).type === 'intent') {
    const jobs = (json as { jobs?: unknown }).jobs;
    const head = parse(intentHeadSchema, json);
    if (!Array.isArray(jobs) || !jobs.every(isRef)) {
      // Name the bad refs the way zod would.
      return parse(storedRecordSchema, json);
    }
    return { ...head, jobs };
  }
  if (typeof json === 'object' && json !== null && (json as { type?: unknown }).type === 'batch') {
    // Same for the job ids of a batch record (rewritten with the progress of its results).
    const ids = (json as { job_ids?: unknown }).job_ids;
    const head = parse(batchHeadSchema, json);
    if (Array.isArray(ids) && ids.every((id) => typeof id === 'string' && JOB_ID.test(id))) {
      return { ...head, job_ids: ids as string[] };
    }
  }
  return parse(storedRecordSchema, json);
}

export const encodeStored = (record: StoredRecord): Buffer =>
  Buffer.from(JSON.stringify(record), 'utf8');
