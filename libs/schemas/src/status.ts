import { z } from 'zod';
import {
  correlationIdSchema,
  errorClassSchema,
  generationSchema,
  jobIdSchema,
  jobModeSchema,
  schemaVersionSchema,
  tenantIdSchema,
  timestampSchema,
} from './common.ts';
import { resultOutcomeSchema } from './results.ts';

/**
 * Job lifecycle (`pipeline.status`). Contracts: ARCHITECTURE.md, "Job lifecycle".
 * States are ranked; states of equal rank are alternatives (`queued` vs `batched`, `succeeded`
 * vs `failed`, `delivered` vs `undeliverable`), never steps.
 */
export const JOB_STATES = [
  'accepted',
  'queued',
  'batched',
  'processing',
  'succeeded',
  'failed',
  'delivering',
  'delivered',
  'undeliverable',
] as const;
export const jobStateSchema = z.enum(JOB_STATES);
export type JobState = z.infer<typeof jobStateSchema>;

const RANKS: Readonly<Record<JobState, number>> = {
  accepted: 0,
  queued: 1,
  batched: 1,
  processing: 2,
  succeeded: 3,
  failed: 3,
  delivering: 4,
  delivered: 5,
  undeliverable: 5,
};

/** Rank of a state: `accepted` 0 < `queued`/`batched` < `processing` < ... < `delivered`/`undeliverable` 5. */
export const stateRank = (state: JobState): number => RANKS[state];

/** Whether a record in this state carries the result outcome (every state from `succeeded` on). */
export const carriesResult = (state: JobState): boolean => RANKS[state] >= RANKS.succeeded;

/**
 * Whether nothing more happens to the job in this generation: `succeeded`/`failed` for a job
 * without a callback, `delivered`/`undeliverable` for a job with one.
 */
export function isTerminal(state: JobState, options: { hasCallback: boolean }): boolean {
  return options.hasCallback
    ? state === 'delivered' || state === 'undeliverable'
    : state === 'succeeded' || state === 'failed';
}

export interface StatusPosition {
  readonly generation: number;
  readonly state: JobState;
}

/**
 * Whether `a` replaces `b` in the status view: the view keeps the highest (generation, rank).
 * Ties keep what the view has, so a repeated or reordered record never flips between states of
 * equal rank.
 */
export function supersedes(a: StatusPosition, b: StatusPosition): boolean {
  if (a.generation !== b.generation) return a.generation > b.generation;
  return RANKS[a.state] > RANKS[b.state];
}

/** At most this many attempts are kept on a record; the oldest are dropped first. */
export const MAX_STATUS_ATTEMPTS = 100;

export const attemptSchema = z.object({
  kind: z
    .enum(['processing', 'delivery'])
    .describe('processing: a Claude call (realtime or batch); delivery: a callback POST.'),
  number: z.int().min(1).describe('1-based, per kind and generation.'),
  at: timestampSchema.describe('When the attempt ended.'),
  outcome: z
    .enum(['succeeded', 'retrying', 'failed'])
    .describe('retrying: failed and scheduled again; failed: failed with no retry left.'),
  error: z
    .object({
      class: errorClassSchema,
      message: z.string().max(1024),
      code: z.string().max(128).optional(),
    })
    .optional(),
  http_status: z.int().min(100).max(599).optional(),
  batch_id: z.string().max(128).optional(),
});
export type Attempt = z.infer<typeof attemptSchema>;

export const statusRecordSchema = z
  .object({
    schema_version: schemaVersionSchema,
    job_id: jobIdSchema,
    tenant: tenantIdSchema,
    correlation_id: correlationIdSchema,
    generation: generationSchema,
    state: jobStateSchema,
    mode: jobModeSchema,
    has_callback: z.boolean().describe('Whether the job ends at delivered/undeliverable.'),
    updated_at: timestampSchema,
    attempts: z.array(attemptSchema).max(MAX_STATUS_ATTEMPTS),
    batch_id: z.string().max(128).optional().describe('Message batch holding the job, if any.'),
    result: resultOutcomeSchema
      .optional()
      .describe('Present from `succeeded`/`failed` on, so the status view can answer alone.'),
  })
  .superRefine((value, ctx) => {
    if (carriesResult(value.state) && value.result === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['result'],
        message: `state ${value.state} needs a result`,
      });
    }
    if (!carriesResult(value.state) && value.result !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['result'],
        message: `state ${value.state} has no result yet`,
      });
    }
    if (
      (value.state === 'succeeded' || value.state === 'failed') &&
      value.result &&
      value.result.status !== value.state
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['result', 'status'],
        message: `result status ${value.result.status} contradicts state ${value.state}`,
      });
    }
  })
  .describe(
    'Lifecycle state of a job (key: job id). Keep, per job, the record with the highest ' +
      '(generation, rank of state); attempts are a separate list that never overwrites a state.',
  );
export type StatusRecord = z.infer<typeof statusRecordSchema>;

const attemptKey = (a: Attempt): string => `${a.kind}:${a.number}`;
/** Timestamps may differ in fractional digits, so they are compared as instants, not strings. */
const instant = (timestamp: string): number => Date.parse(timestamp);

/**
 * Fold an incoming status record into the view's current one. Across generations the higher
 * generation wins whole (a redrive starts over). Within one, state, result and batch come from
 * whichever record supersedes, and attempts from both are merged (first record of an attempt
 * wins), ordered by time, capped at {@link MAX_STATUS_ATTEMPTS}.
 */
export function mergeStatus(
  current: StatusRecord | undefined,
  incoming: StatusRecord,
): StatusRecord {
  if (current === undefined || incoming.generation > current.generation) return incoming;
  if (incoming.generation < current.generation) return current;
  const winner = supersedes(incoming, current) ? incoming : current;
  const byKey = new Map<string, Attempt>();
  for (const attempt of [...current.attempts, ...incoming.attempts]) {
    if (!byKey.has(attemptKey(attempt))) byKey.set(attemptKey(attempt), attempt);
  }
  const attempts = [...byKey.values()]
    .sort((x, y) => instant(x.at) - instant(y.at) || attemptKey(x).localeCompare(attemptKey(y)))
    .slice(-MAX_STATUS_ATTEMPTS);
  const updated_at =
    instant(incoming.updated_at) > instant(current.updated_at)
      ? incoming.updated_at
      : current.updated_at;
  return { ...winner, attempts, updated_at };
}
