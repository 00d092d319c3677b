/**
 * Sample records for tests, valid by construction: `@claude-pipeline/schemas/testing`. Each
 * builder takes overrides; ids, times and trace ids are fixed so tests stay deterministic.
 */
import type { BatchControl, BatchIntent, OpenBatch } from './batches.ts';
import type { CallbackPayload } from './callback.ts';
import { callbackFromResult } from './callback.ts';
import type { DedupeEntry } from './dedupe.ts';
import type { EventRecord } from './events.ts';
import type { JobSubmission } from './http.ts';
import type { JobRecord } from './jobs.ts';
import type { FailedResult, SucceededResult } from './results.ts';
import { outcomeOf } from './results.ts';
import type { StatusRecord } from './status.ts';
import type { StreamRecord } from './stream.ts';

export const SAMPLE_TIME = '2025-01-15T10:00:00.000Z';
export const SAMPLE_TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const base = {
  schema_version: 1,
  job_id: 'acme_5f2b9c1e7d',
  tenant: 'acme',
  correlation_id: 'corr-7d1e',
  generation: 1,
} as const;

export function sampleJobRecord(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    ...base,
    mode: 'realtime',
    model: 'claude-sonnet-4-5',
    messages: [{ role: 'user', content: 'Summarize the attached changelog.' }],
    max_tokens: 1024,
    stream: false,
    created_at: SAMPLE_TIME,
    ...overrides,
  };
}

export function sampleEventRecord(overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    schema_version: 1,
    tenant: base.tenant,
    idempotency_key: 'delivery-72d1',
    source: { kind: 'webhook', name: 'github' },
    event_type: 'push',
    event_id: '72d1a3f0-9c1b-11ef-8a3e-1e2b3c4d5e6f',
    received_at: SAMPLE_TIME,
    job: sampleJobRecord(),
    ...overrides,
  };
}

export function sampleDedupeEntry(overrides: Partial<DedupeEntry> = {}): DedupeEntry {
  return {
    schema_version: 1,
    tenant: base.tenant,
    idempotency_key: 'delivery-72d1',
    job_id: base.job_id,
    first_seen_at: SAMPLE_TIME,
    expires_at: '2025-01-22T10:00:00.000Z',
    ...overrides,
  };
}

export function sampleSucceededResult(overrides: Partial<SucceededResult> = {}): SucceededResult {
  return {
    ...base,
    status: 'succeeded',
    content: [{ type: 'text', text: 'The changelog adds retries.' }],
    stop_reason: 'end_turn',
    usage: {
      input_tokens: 120,
      output_tokens: 9,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 100,
    },
    model: 'claude-sonnet-4-5',
    tier: 'realtime',
    latency_ms: 1840,
    attempts: 1,
    cost_estimate_usd: 0.000525,
    completed_at: '2025-01-15T10:00:01.840Z',
    ...overrides,
  };
}

export function sampleFailedResult(overrides: Partial<FailedResult> = {}): FailedResult {
  return {
    ...base,
    status: 'failed',
    error: {
      class: 'invalid',
      message: 'max_tokens: 200000 > 64000, the maximum for claude-sonnet-4-5',
      code: 'invalid_request_error',
      retriable: false,
    },
    attempts: 1,
    completed_at: '2025-01-15T10:00:00.420Z',
    ...overrides,
  };
}

export function sampleStatusRecord(overrides: Partial<StatusRecord> = {}): StatusRecord {
  return {
    ...base,
    state: 'queued',
    mode: 'realtime',
    has_callback: false,
    updated_at: SAMPLE_TIME,
    attempts: [],
    ...overrides,
  };
}

/** A status record in a state that carries a result, with the result filled in. */
export function sampleTerminalStatus(
  state: 'succeeded' | 'failed' | 'delivering' | 'delivered' | 'undeliverable',
  overrides: Partial<StatusRecord> = {},
): StatusRecord {
  const result = state === 'failed' ? sampleFailedResult() : sampleSucceededResult();
  return sampleStatusRecord({
    state,
    has_callback: state !== 'succeeded' && state !== 'failed',
    updated_at: result.completed_at,
    attempts: [{ kind: 'processing', number: 1, at: result.completed_at, outcome: result.status }],
    result: outcomeOf(result),
    ...overrides,
  });
}

export function sampleStreamDelta(text: string, seq: number, attempt = 1): StreamRecord {
  return {
    ...streamBase(attempt, seq),
    type: 'delta',
    index: 0,
    delta: { type: 'text_delta', text },
  };
}

export function sampleStreamEnd(seq: number, attempt = 1): StreamRecord {
  const result = sampleSucceededResult();
  return {
    ...streamBase(attempt, seq),
    type: 'end',
    stop_reason: result.stop_reason,
    usage: result.usage,
    model: result.model,
  };
}

function streamBase(attempt: number, seq: number) {
  return {
    schema_version: 1,
    job_id: base.job_id,
    tenant: base.tenant,
    generation: base.generation,
    attempt,
    seq,
  } as const;
}

export function sampleBatchIntent(overrides: Partial<BatchIntent> = {}): BatchIntent {
  return {
    schema_version: 1,
    type: 'intent',
    intent_id: 'intent_01',
    created_at: SAMPLE_TIME,
    jobs: [
      {
        job_id: base.job_id,
        tenant: base.tenant,
        correlation_id: base.correlation_id,
        generation: 1,
        traceparent: SAMPLE_TRACEPARENT,
      },
    ],
    source_offsets: [{ topic: 'pipeline.jobs', partition: 2, from_offset: '40', to_offset: '57' }],
    ...overrides,
  };
}

export function sampleOpenBatch(overrides: Partial<OpenBatch> = {}): OpenBatch {
  return {
    schema_version: 1,
    type: 'batch',
    batch_id: 'msgbatch_013Zva2CMHLNnXjNJJKqJ2EF',
    intent_id: 'intent_01',
    created_at: SAMPLE_TIME,
    expires_at: '2025-01-16T10:00:00.000Z',
    job_ids: [base.job_id],
    ...overrides,
  };
}

export function sampleBatchControl(overrides: Partial<BatchControl> = {}): BatchControl {
  return {
    schema_version: 1,
    batch_id: 'msgbatch_013Zva2CMHLNnXjNJJKqJ2EF',
    requested_at: SAMPLE_TIME,
    reason: 'completion_notification',
    ...overrides,
  };
}

export function sampleJobSubmission(overrides: Partial<JobSubmission> = {}): JobSubmission {
  return { prompt: 'Summarize the attached changelog.', max_tokens: 1024, ...overrides };
}

export function sampleCallbackPayload(): CallbackPayload {
  return callbackFromResult(sampleSucceededResult());
}
