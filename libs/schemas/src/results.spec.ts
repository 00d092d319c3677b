import { outcomeOf, resultRecordSchema } from './results.ts';
import { sampleFailedResult, sampleSucceededResult } from './testing.ts';

describe('result record', () => {
  it('accepts succeeded and failed results', () => {
    expect(resultRecordSchema.safeParse(sampleSucceededResult()).success).toBe(true);
    expect(resultRecordSchema.safeParse(sampleFailedResult()).success).toBe(true);
  });

  it('accepts tool_use content and every error class', () => {
    const toolUse = sampleSucceededResult({
      content: [{ type: 'tool_use', id: 'toolu_01', name: 'lookup', input: { q: 'x' } }],
      stop_reason: 'tool_use',
    });
    expect(resultRecordSchema.safeParse(toolUse).success).toBe(true);
    for (const cls of ['invalid', 'transient', 'throttled', 'account'] as const) {
      const failed = sampleFailedResult({ error: { class: cls, message: 'm', retriable: true } });
      expect(resultRecordSchema.safeParse(failed).success).toBe(true);
    }
  });

  it('rejects a succeeded result without usage and a failed one without error', () => {
    const { usage: _usage, ...noUsage } = sampleSucceededResult();
    expect(resultRecordSchema.safeParse(noUsage).success).toBe(false);
    const { error: _error, ...noError } = sampleFailedResult();
    expect(resultRecordSchema.safeParse(noError).success).toBe(false);
  });

  it('rejects an unknown status, error class or stop reason', () => {
    expect(
      resultRecordSchema.safeParse({ ...sampleSucceededResult(), status: 'done' }).success,
    ).toBe(false);
    expect(
      resultRecordSchema.safeParse({
        ...sampleFailedResult(),
        error: { class: 'fatal', message: 'x', retriable: false },
      }).success,
    ).toBe(false);
    expect(
      resultRecordSchema.safeParse({ ...sampleSucceededResult(), stop_reason: 'eof' }).success,
    ).toBe(false);
  });

  it('requires usage with cache counters and a non-negative cost', () => {
    const usage = { input_tokens: 1, output_tokens: 1 };
    expect(resultRecordSchema.safeParse({ ...sampleSucceededResult(), usage }).success).toBe(false);
    expect(
      resultRecordSchema.safeParse({ ...sampleSucceededResult(), cost_estimate_usd: -1 }).success,
    ).toBe(false);
  });

  it('outcomeOf drops the envelope and keeps the outcome', () => {
    const outcome = outcomeOf(sampleSucceededResult({ metadata: { a: 'b' } }));
    expect(outcome).not.toHaveProperty('job_id');
    expect(outcome).not.toHaveProperty('metadata');
    expect(outcome).toMatchObject({ status: 'succeeded', stop_reason: 'end_turn', attempts: 1 });
    expect(outcomeOf(sampleFailedResult())).toMatchObject({
      status: 'failed',
      error: { class: 'invalid' },
    });
  });
});
