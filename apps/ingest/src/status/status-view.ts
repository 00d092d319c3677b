import {
  contracts,
  mergeStatus,
  safeDecode,
  type JobStatusResponse,
  type StatusRecord,
} from '@claude-pipeline/schemas';

/**
 * The job states this replica knows, folded from `pipeline.status` (ARCHITECTURE.md, "Job
 * lifecycle"): per job, the record with the highest (generation, rank), attempts merged
 * (`mergeStatus`). Records may come in any order and more than once; the fold is the same.
 */
export interface StatusView {
  /** Folds one record in: its value, or a tombstone (null value) that forgets the job. */
  fold(key: string | null, value: Buffer | null): 'merged' | 'deleted' | 'invalid';
  get(jobId: string): StatusRecord | undefined;
  readonly size: number;
}

export function createStatusView(): StatusView {
  const records = new Map<string, StatusRecord>();
  return {
    get size() {
      return records.size;
    },
    fold(key, value) {
      if (value === null) {
        if (key === null) return 'invalid';
        records.delete(key);
        return 'deleted';
      }
      const decoded = safeDecode(contracts.statusRecord, value);
      if (!decoded.ok) return 'invalid';
      const record = decoded.value;
      records.set(record.job_id, mergeStatus(records.get(record.job_id), record));
      return 'merged';
    },
    get: (jobId) => records.get(jobId),
  };
}

/** The `GET /v1/jobs/:id` body of a status record. */
export function statusResponse(record: StatusRecord): JobStatusResponse {
  return {
    id: record.job_id,
    correlation_id: record.correlation_id,
    generation: record.generation,
    state: record.state,
    mode: record.mode,
    updated_at: record.updated_at,
    attempts: record.attempts,
    ...(record.batch_id === undefined ? {} : { batch_id: record.batch_id }),
    ...(record.result === undefined ? {} : { result: record.result }),
  };
}
