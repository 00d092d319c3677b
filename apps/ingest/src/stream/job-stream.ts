import type { ErrorClass, StreamRecord } from '@claude-pipeline/schemas';

/**
 * The fold of one job's `pipeline.stream` records into what a client should see: the records of
 * the newest (generation, attempt), gap-free from seq 0. Records may come twice and out of order
 * (a replay scan and the live tail read the same partition independently), so each is placed
 * by its seq and only the gap-free prefix is visible. A record of a newer attempt starts over; a
 * record of an older one is dropped (schemas `stream.ts`).
 */
export interface AttemptKey {
  generation: number;
  attempt: number;
}

export const compareAttempts = (a: AttemptKey, b: AttemptKey): number =>
  a.generation - b.generation || a.attempt - b.attempt;

export interface RetryReason {
  class: ErrorClass;
  message: string;
}

export type ApplyOutcome = 'visible' | 'pending' | 'duplicate' | 'stale' | 'foreign';

export interface JobStream {
  readonly jobId: string;
  readonly tenant: string;
  /** The newest attempt seen (undefined: no record yet). */
  readonly current: AttemptKey | undefined;
  /** Records of `current`, seq 0 .. length-1, no gaps. */
  readonly records: readonly StreamRecord[];
  /** Why the previous attempt ended, when its abort record said so. */
  readonly retryReason: RetryReason | undefined;
  /** The visible records end with `end`, or with an `abort` that no attempt follows. */
  readonly terminal: boolean;
  /** Records held back behind a gap. */
  readonly pendingCount: number;
  apply(record: StreamRecord): ApplyOutcome;
}

export function createJobStream(jobId: string, tenant: string): JobStream {
  let current: AttemptKey | undefined;
  let records: StreamRecord[] = [];
  let pending = new Map<number, StreamRecord>();
  let retryReason: RetryReason | undefined;
  let terminal = false;

  const startAttempt = (key: AttemptKey, reason: RetryReason | undefined) => {
    current = key;
    records = [];
    pending = new Map();
    retryReason = reason;
    terminal = false;
  };

  /** Moves what the new record closed the gap to into view; handles the attempt's last record. */
  const advance = () => {
    for (let next = pending.get(records.length); next !== undefined;) {
      pending.delete(records.length);
      records.push(next);
      next = pending.get(records.length);
    }
    const last = records.at(-1);
    if (last?.type === 'end') terminal = true;
    if (last?.type === 'abort') {
      if (last.retrying) {
        // The next attempt starts now: the client is told at once, not at its first token.
        startAttempt({ generation: last.generation, attempt: last.attempt + 1 }, last.error);
      } else {
        terminal = true;
      }
    }
  };

  return {
    jobId,
    tenant,
    get current() {
      return current;
    },
    get records() {
      return records;
    },
    get retryReason() {
      return retryReason;
    },
    get terminal() {
      return terminal;
    },
    get pendingCount() {
      return pending.size;
    },
    apply(record) {
      // A record of another tenant under this job id is never shown (defence in depth: the
      // job id already embeds the tenant).
      if (record.job_id !== jobId || record.tenant !== tenant) return 'foreign';
      const key = { generation: record.generation, attempt: record.attempt };
      const order = current === undefined ? 1 : compareAttempts(key, current);
      if (order < 0) return 'stale';
      if (order > 0) startAttempt(key, undefined);
      if (record.seq < records.length || pending.has(record.seq) || terminal) return 'duplicate';
      pending.set(record.seq, record);
      const before = records.length;
      const attemptBefore = current;
      advance();
      return records.length > before || current !== attemptBefore ? 'visible' : 'pending';
    },
  };
}
