import {
  jobStatusResponseSchema,
  jobSubmissionResponseSchema,
  jobSubmissionSchema,
} from './http.ts';
import { outcomeOf } from './results.ts';
import { sampleJobSubmission, sampleSucceededResult } from './testing.ts';

const messagesOf = (value: unknown): string[] =>
  jobSubmissionSchema.safeParse(value).error?.issues.map((i) => i.message) ?? [];

describe('job submission (POST /v1/jobs)', () => {
  it('accepts a bare prompt and a full messages body', () => {
    expect(messagesOf({ prompt: 'hi' })).toEqual([]);
    expect(
      messagesOf({
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
        system: 'Be brief.',
        model: 'claude-haiku-4-5',
        max_tokens: 256,
        mode: 'batch',
        callback_url: 'https://hooks.example.com/x',
        metadata: { ticket: 'T-1' },
      }),
    ).toEqual([]);
  });

  it('needs exactly one of prompt and messages', () => {
    expect(messagesOf({})).toEqual(['give exactly one of messages and prompt']);
    expect(messagesOf({ prompt: 'a', messages: [{ role: 'user', content: 'b' }] })).toEqual([
      'give exactly one of messages and prompt',
    ]);
  });

  it('refuses both model and task_class, and streaming a batch job', () => {
    expect(
      messagesOf(sampleJobSubmission({ model: 'claude-haiku-4-5', task_class: 'fast' })),
    ).toEqual(['give either model or task_class, not both']);
    expect(messagesOf(sampleJobSubmission({ mode: 'batch', stream: true }))).toEqual([
      'stream is only available in realtime mode',
    ]);
  });

  it('rejects unknown fields, so a typo is a 400 and not a silent default', () => {
    const result = jobSubmissionSchema.safeParse({ prompt: 'hi', max_token: 10 });
    expect(result.error?.issues[0]).toMatchObject({
      code: 'unrecognized_keys',
      keys: ['max_token'],
    });
  });
});

describe('job submission response and job status', () => {
  it('accepts a 202 body with and without a stream url', () => {
    expect(
      jobSubmissionResponseSchema.safeParse({ id: 'acme_1', status_url: '/v1/jobs/acme_1' })
        .success,
    ).toBe(true);
    expect(
      jobSubmissionResponseSchema.safeParse({
        id: 'acme_1',
        status_url: 'https://api.example.com/v1/jobs/acme_1',
        stream_url: 'https://api.example.com/v1/jobs/acme_1/stream?token=abc',
      }).success,
    ).toBe(true);
    expect(jobSubmissionResponseSchema.safeParse({ id: 'bad id', status_url: '/x' }).success).toBe(
      false,
    );
  });

  it('accepts a job status with its result', () => {
    const body = {
      id: 'acme_1',
      correlation_id: 'c-1',
      generation: 1,
      state: 'succeeded',
      mode: 'realtime',
      updated_at: '2025-01-15T10:00:01.840Z',
      attempts: [
        { kind: 'processing', number: 1, at: '2025-01-15T10:00:01.840Z', outcome: 'succeeded' },
      ],
      result: outcomeOf(sampleSucceededResult()),
    };
    expect(jobStatusResponseSchema.safeParse(body).success).toBe(true);
    expect(jobStatusResponseSchema.safeParse({ ...body, state: 'finished' }).success).toBe(false);
  });
});
