import { callbackFromResult, callbackMessageId, callbackPayloadSchema } from './callback.ts';
import { sampleFailedResult, sampleSucceededResult } from './testing.ts';

describe('callback payload', () => {
  it('builds a Standard Webhooks shaped body from a succeeded result', () => {
    const payload = callbackFromResult(sampleSucceededResult({ metadata: { ticket: 'T-1' } }));
    expect(payload).toMatchObject({
      schema_version: 1,
      type: 'job.succeeded',
      timestamp: '2025-01-15T10:00:01.840Z',
      data: {
        job_id: 'acme_5f2b9c1e7d',
        generation: 1,
        correlation_id: 'corr-7d1e',
        metadata: { ticket: 'T-1' },
        result: { status: 'succeeded', stop_reason: 'end_turn' },
      },
    });
    expect(payload.data).not.toHaveProperty('tenant');
    expect(callbackPayloadSchema.safeParse(payload).success).toBe(true);
  });

  it('builds job.failed from a failed result', () => {
    const payload = callbackFromResult(sampleFailedResult());
    expect(payload.type).toBe('job.failed');
    expect(payload.data).not.toHaveProperty('metadata');
    expect(callbackPayloadSchema.safeParse(payload).success).toBe(true);
  });

  it('rejects a type that contradicts the result', () => {
    const payload = { ...callbackFromResult(sampleFailedResult()), type: 'job.succeeded' };
    expect(callbackPayloadSchema.safeParse(payload).error?.issues[0]?.message).toBe(
      'type job.succeeded contradicts result status failed',
    );
  });

  it('message ids are stable per job and generation', () => {
    expect(callbackMessageId(sampleSucceededResult())).toBe('acme_5f2b9c1e7d.1');
    expect(callbackMessageId(sampleSucceededResult({ generation: 2 }))).toBe('acme_5f2b9c1e7d.2');
  });
});
