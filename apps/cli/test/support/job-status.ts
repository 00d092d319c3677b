import type { JobState, JobStatusResponse } from '@claude-pipeline/schemas';
import { outcomeOf } from '@claude-pipeline/schemas';
import { sampleFailedResult, sampleSucceededResult } from '@claude-pipeline/schemas/testing';

/** A `GET /v1/jobs/:id` answer in `state` (with a result from `succeeded` on). */
export function jobStatus(
  id: string,
  state: JobState,
  overrides: Partial<JobStatusResponse> = {},
): JobStatusResponse {
  const result =
    state === 'failed' || state === 'undeliverable'
      ? outcomeOf(sampleFailedResult({ job_id: id }))
      : ['succeeded', 'delivering', 'delivered'].includes(state)
        ? outcomeOf(sampleSucceededResult({ job_id: id }))
        : undefined;
  return {
    id,
    correlation_id: 'corr-7d1e',
    generation: 1,
    state,
    mode: 'realtime',
    updated_at: '2025-01-15T10:00:02.000Z',
    attempts:
      result === undefined
        ? []
        : [
            {
              kind: 'processing',
              number: 1,
              at: '2025-01-15T10:00:01.000Z',
              outcome: result.status === 'succeeded' ? 'succeeded' : 'failed',
            },
          ],
    ...(result === undefined ? {} : { result }),
    ...overrides,
  };
}
