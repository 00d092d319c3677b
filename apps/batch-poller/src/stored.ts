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
  MAX_BATCH_REQUESTS,
  parse,
} from '@claude-pipeline/schemas';
import { z } from 'zod';
import { jobRefsBuilder, jobRefsOf, type JobRefs } from './job-refs.ts';

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

/** An intent as held in memory: its job refs in columns (see job-refs.ts). */
export type HeldIntent = Omit<StoredIntent, 'jobs'> & { jobs: JobRefs };
/** A record of `pipeline.batches` as held in memory. */
export type HeldRecord = HeldIntent | StoredBatch;

/** The wire form of a held intent (its refs as objects again). */
export const storedIntentOf = (intent: HeldIntent): StoredIntent => ({
  ...intent,
  jobs: [...intent.jobs],
});

/**
 * An intent without its job list: the list (up to 100,000 refs) is checked ref by ref instead of
 * by zod, which would copy every ref (a second 50 MB for a large intent).
 */
const intentHeadSchema = storedIntentSchema.extend({ jobs: z.array(z.unknown()).max(0) });

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
    (ref['traceparent'] === undefined || typeof ref['traceparent'] === 'string') &&
    (ref['tracestate'] === undefined || typeof ref['tracestate'] === 'string')
  );
};

/** Job refs parsed together when an intent is decoded. */
const REFS_PER_PARSE = 512;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const isSpace = (byte: number | undefined) =>
  byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/**
 * Where the top-level `"jobs": [...]` array of a JSON object is (indexes of `[` and `]`), and the
 * byte range of each element, found by scanning the bytes (strings and nesting tracked; the
 * structural characters are ASCII, so UTF-8 bytes are safe to scan). Undefined when the value
 * is not an object with such an array whose elements are all objects: the caller falls back to
 * parsing the whole value. No copy of the value is made.
 */
export function scanJobs(
  bytes: Buffer,
): { open: number; close: number; elements: [number, number][] } | undefined {
  let depth = 0;
  let lastKey: [number, number] | undefined;
  let open = -1;
  let elementStart = -1;
  const elements: [number, number][] = [];
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i];
    switch (byte) {
      case QUOTE: {
        // Jump to the closing quote (one not escaped by an odd run of backslashes).
        let end = i;
        for (;;) {
          end = bytes.indexOf(QUOTE, end + 1);
          if (end < 0) return undefined;
          let slashes = 0;
          while (bytes[end - 1 - slashes] === BACKSLASH) slashes += 1;
          if (slashes % 2 === 0) break;
        }
        if (depth === 1 && open < 0) lastKey = [i + 1, end];
        i = end;
        break;
      }
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        if (depth === 0 && byte !== OPEN_OBJECT) return undefined;
        if (depth === 1 && byte === OPEN_ARRAY && lastKey && open < 0) {
          const [from, to] = lastKey;
          // The string before the `[` was a key (`"jobs" :`) and it is "jobs".
          let j = to + 1;
          while (isSpace(bytes[j])) j += 1;
          if (bytes[j] === COLON && bytes.toString('latin1', from, to) === 'jobs') open = i;
        }
        if (depth === 2 && open >= 0 && elementStart < 0) {
          if (byte !== OPEN_OBJECT) return undefined;
          elementStart = i;
        }
        depth += 1;
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        depth -= 1;
        if (depth === 2 && elementStart >= 0) {
          elements.push([elementStart, i + 1]);
          elementStart = -1;
        } else if (depth === 1 && open >= 0 && byte === CLOSE_ARRAY) {
          return { open, close: i, elements };
        }
        if (depth < 0) return undefined;
        break;
      default:
        if (depth === 2 && open >= 0 && elementStart < 0 && byte !== 0x2c && !isSpace(byte)) {
          return undefined; // a scalar element
        }
    }
  }
  return undefined;
}

/**
 * An intent decoded ref by ref into columns: the value's bytes are scanned, each ref parsed on
 * its own, so the whole job list never exists as objects. Undefined if the value is not an
 * intent of that shape (the caller then parses it whole, and zod names what is wrong).
 */
function decodeIntent(value: Buffer): HeldIntent | undefined {
  if (value.indexOf('"jobs"') < 0) return undefined; // a batch record: nothing to scan
  const found = scanJobs(value);
  if (!found || found.elements.length === 0) return undefined;
  const head = JSON.parse(
    `${value.toString('utf8', 0, found.open + 1)}${value.toString('utf8', found.close)}`,
  ) as unknown;
  if (typeof head !== 'object' || head === null || (head as { type?: unknown }).type !== 'intent') {
    return undefined;
  }
  const refs = jobRefsBuilder(found.elements.length);
  // A few hundred refs per JSON.parse (one slice of the array, commas included): as fast as
  // parsing the whole value, with only those refs alive as objects at a time.
  const { elements } = found;
  for (let first = 0; first < elements.length; first += REFS_PER_PARSE) {
    const last = Math.min(elements.length, first + REFS_PER_PARSE) - 1;
    const from = elements[first]?.[0] ?? 0;
    const to = elements[last]?.[1] ?? 0;
    const group = JSON.parse(`[${value.toString('utf8', from, to)}]`) as unknown[];
    for (const ref of group) {
      if (!isRef(ref)) return undefined;
      refs.add(ref);
    }
  }
  if (refs.length > MAX_BATCH_REQUESTS) return undefined;
  return { ...parse(intentHeadSchema, head), jobs: refs.build() };
}

export function decodeStored(value: Buffer): HeldRecord {
  const intent = decodeIntent(value);
  if (intent) return intent;
  const json = JSON.parse(value.toString('utf8')) as unknown;
  if (typeof json === 'object' && json !== null && (json as { type?: unknown }).type === 'batch') {
    // The job ids of a batch record (rewritten with the progress of its results): a loop.
    const ids = (json as { job_ids?: unknown }).job_ids;
    const head = parse(batchHeadSchema, json);
    if (Array.isArray(ids) && ids.every((id) => typeof id === 'string' && JOB_ID.test(id))) {
      return { ...head, job_ids: ids as string[] };
    }
  }
  const record = parse(storedRecordSchema, json);
  return record.type === 'intent' ? { ...record, jobs: jobRefsOf(record.jobs) } : record;
}

export const encodeStored = (record: StoredIntent | StoredBatch): Buffer =>
  Buffer.from(JSON.stringify(record), 'utf8');
