import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { resultRecordSchema, statusRecordSchema } from '@claude-pipeline/schemas';
import { repackIntentId, rangesOf } from './owner.ts';
import { batchedStatus, failedRecords, jobTraceHeaders, succeededRecords } from './records.ts';
import type { StoredJobRef } from './stored.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const ref: StoredJobRef = {
  job_id: 'job-1',
  tenant: 'acme',
  correlation_id: 'corr-1',
  generation: 2,
  traceparent: `00-${TRACE}-b7ad6b7169203331-01`,
  source_partition: 3,
  source_offset: '42',
  attempt: 1,
  created_at: '2026-11-22T08:00:00.000Z',
  callback: { url: 'https://example.com/hook' },
};

const message = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'hi', citations: null }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: {
    input_tokens: 1000,
    output_tokens: 100,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  },
} as unknown as Message;

const value = (m: { value: Buffer | string | null }) => JSON.parse(String(m.value)) as unknown;
const NOW = Date.parse('2026-11-22T09:00:00.000Z');

describe('records', () => {
  it('a succeeded result is a valid result record at the batch price, in the job trace', () => {
    const emitted = succeededRecords(ref, message, 'msgbatch_1', NOW);
    const result = resultRecordSchema.parse(value(emitted.result));
    expect(result).toMatchObject({
      job_id: 'job-1',
      generation: 2,
      status: 'succeeded',
      tier: 'batch',
      latency_ms: 3_600_000,
      callback: { url: 'https://example.com/hook' },
    });
    // Sonnet realtime: 1000 * 3/1e6 + 100 * 15/1e6 = 0.0045; batch: half.
    expect(emitted.costUsd).toBeCloseTo(0.00225);
    expect(emitted.savedUsd).toBeCloseTo(0.00225);
    expect(String(emitted.result.headers?.['traceparent'])).toContain(TRACE);
    expect(emitted.result.headers?.['correlation-id']).toBe('corr-1');
    expect(statusRecordSchema.parse(value(emitted.status))).toMatchObject({
      state: 'succeeded',
      batch_id: 'msgbatch_1',
    });
  });

  it('a failed result carries the error and a valid failed status', () => {
    const emitted = failedRecords(
      ref,
      { class: 'invalid', code: 'invalid_request_error', message: 'bad', retriable: false },
      'msgbatch_1',
      NOW,
    );
    expect(resultRecordSchema.parse(value(emitted.result))).toMatchObject({
      status: 'failed',
      error: { class: 'invalid' },
    });
    expect(statusRecordSchema.parse(value(emitted.status)).state).toBe('failed');
  });

  it('a batched status is valid, with the retry attempt when re-packed', () => {
    const status = statusRecordSchema.parse(
      value(
        batchedStatus({ ...ref, attempt: 2 }, NOW, {
          error: { class: 'transient', code: 'expired', message: 'expired', retriable: true },
          failedAttempt: 1,
          batchId: 'msgbatch_1',
        }),
      ),
    );
    expect(status).toMatchObject({
      state: 'batched',
      attempts: [{ outcome: 'retrying', number: 1 }],
    });
  });

  it('every record about a job continues its own trace (one span id each)', () => {
    const a = jobTraceHeaders(ref, 'x')['traceparent'];
    const b = jobTraceHeaders(
      { ...ref, traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` },
      'x',
    )['traceparent'];
    expect(a?.split('-')[1]).toBe(TRACE);
    expect(b?.split('-')[1]).toBe('1'.repeat(32));
    expect(jobTraceHeaders({ ...ref, traceparent: undefined }, 'x')).toEqual({});
  });

  it('re-pack intents have short deterministic ids and cover their jobs by partition', () => {
    expect(repackIntentId('msgbatch_01abc')).toBe('r-msgbatch_01abc');
    expect(repackIntentId('x'.repeat(100))).toHaveLength(64);
    expect(
      rangesOf('jobs', [
        { ...ref, source_partition: 0, source_offset: '9' },
        { ...ref, source_partition: 0, source_offset: '3' },
        { ...ref, source_partition: 1, source_offset: '5' },
      ]),
    ).toEqual([
      { topic: 'jobs', partition: 0, from_offset: '3', to_offset: '9' },
      { topic: 'jobs', partition: 1, from_offset: '5', to_offset: '5' },
    ]);
  });
});
