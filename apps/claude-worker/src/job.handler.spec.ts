import { APIError } from '@anthropic-ai/sdk';
import type { Message } from '@anthropic-ai/sdk/resources/messages/messages';
import {
  ClassifiedError,
  type BatchingProducer,
  type ConsumedRecord,
} from '@claude-pipeline/kafka';
import { contracts, encode, type JobRecord, type ResultRecord } from '@claude-pipeline/schemas';
import { sampleJobRecord } from '@claude-pipeline/schemas/testing';
import { createLogger, createMetricsRegistry } from '@claude-pipeline/telemetry';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { MessageParams, MessagesClient } from './claude/messages-client.ts';
import { createJobHandler } from './job.handler.ts';
import { createRateLimiter } from './limiter/rate-limiter.ts';
import { createWorkerMetrics } from './metrics.ts';
import type { JobPublisher } from './output/job-publisher.ts';

/** Plain fakes for the SDK port, the publisher and the producer; the real limiter. */
function setup(answer: (params: MessageParams) => Promise<Message>, orderKey?: string) {
  const calls: MessageParams[] = [];
  const client: MessagesClient = {
    async call(params) {
      calls.push(params);
      return { message: await answer(params), headers: new Headers() };
    },
  };
  const published: { kind: string; job: string; result?: ResultRecord }[] = [];
  const publisher: JobPublisher = {
    processing: async (job) => {
      published.push({ kind: 'processing', job: job.job_id });
    },
    result: async (job, _trace, result) => {
      published.push({ kind: 'result', job: job.job_id, result });
    },
    close: () => undefined,
  };
  const producer = {
    send: async () => ({}),
    flush: async () => undefined,
    queued: 0,
  } as unknown as BatchingProducer;
  const limiter = createRateLimiter({
    defaults: { rpm: 0, itpm: 0, otpm: 0 },
    headroom: 1,
    requestBurstMs: 250,
    maxInFlight: 10,
  });
  const metrics = createWorkerMetrics(createMetricsRegistry({ service: 'claude-worker-test' }));
  const handler = createJobHandler({
    client,
    limiter,
    publisher,
    producer,
    streamTopic: 'p.stream',
    routing: { routes: { classify: 'claude-haiku-4-5' }, defaultModel: 'claude-sonnet-4-6' },
    caching: { thresholds: {} },
    charsPerToken: 3.5,
    stages: 3,
    orderKey,
    metrics,
    logger: createLogger({ service: 'claude-worker', level: 'silent' }),
    halted: () => false,
  });
  return { handler, calls, published, limiter, metrics };
}

const record = (job: JobRecord): ConsumedRecord => ({
  topic: 'p.jobs',
  partition: 0,
  offset: '1',
  key: Buffer.from(job.job_id),
  value: Buffer.from(encode(contracts.jobRecord, job)),
  headers: {},
  timestamp: '0',
  traceContext: ROOT_CONTEXT,
});

const message = (overrides: Partial<Message> = {}): Message =>
  ({
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5',
    content: [{ type: 'text', text: 'ok', citations: null }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: 10,
      output_tokens: 2,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
    ...overrides,
  }) as Message;

describe('job handler', () => {
  it('skips batch-mode jobs without calling Claude', async () => {
    const { handler, calls, published } = setup(async () => message());
    const job = sampleJobRecord({ mode: 'batch', stream: false });
    await handler.handle(record(job));
    expect(calls).toHaveLength(0);
    expect(published).toHaveLength(0);
  });

  it('routes by task class, publishes processing then a succeeded result with cost and usage', async () => {
    const { handler, calls, published } = setup(async () => message());
    const job = sampleJobRecord({ model: undefined, task_class: 'classify' });
    await handler.handle(record(job));
    expect(calls[0]?.model).toBe('claude-haiku-4-5');
    expect(published.map((p) => p.kind)).toEqual(['processing', 'result']);
    expect(published[1]?.result).toMatchObject({
      status: 'succeeded',
      model: 'claude-haiku-4-5',
      attempts: 1,
      usage: { input_tokens: 10, output_tokens: 2 },
      content: [{ type: 'text', text: 'ok' }],
    });
    // 10 × $1/M + 2 × $5/M
    expect((published[1]?.result as { cost_estimate_usd: number }).cost_estimate_usd).toBeCloseTo(
      0.00002,
      9,
    );
  });

  it('returns tool_use blocks with the tool_use stop reason', async () => {
    const { handler, published } = setup(async () =>
      message({
        stop_reason: 'tool_use',
        content: [
          {
            type: 'tool_use',
            id: 'toolu_1',
            name: 'lookup',
            input: { q: 'x' },
            caller: { type: 'direct' },
          },
        ],
      } as Partial<Message>),
    );
    await handler.handle(record(sampleJobRecord()));
    expect(published[1]?.result).toMatchObject({
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x' } }],
    });
  });

  it('pauses the shared limiter on a 429 and throws a throttled error (no attempt spent)', async () => {
    const { handler, limiter, metrics } = setup(async () => {
      throw APIError.generate(
        429,
        { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } },
        'slow down',
        new Headers({ 'retry-after': '2' }),
      );
    });
    const before = Date.now();
    const error = await handler.handle(record(sampleJobRecord())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClassifiedError);
    expect(error).toMatchObject({ errorClass: 'throttled', retryAfterMs: 2000 });
    expect(limiter.pausedUntil).toBeGreaterThanOrEqual(before + 2000);
    expect((await metrics.throttled.get()).values[0]?.value).toBe(1);
  });

  it('classifies a 401 as an account error and a 400 as invalid', async () => {
    let status = 401;
    const { handler } = setup(async () => {
      throw APIError.generate(
        status,
        { type: 'error', error: { type: 'x', message: 'no' } },
        'no',
        new Headers(),
      );
    });
    await expect(handler.handle(record(sampleJobRecord()))).rejects.toMatchObject({
      errorClass: 'account',
    });
    status = 400;
    await expect(
      handler.handle(record(sampleJobRecord({ job_id: 'other' }))),
    ).rejects.toMatchObject({
      errorClass: 'invalid',
    });
  });

  it('adds cache_control to a long system prompt before the call', async () => {
    const { handler, calls } = setup(async () => message());
    await handler.handle(
      record(sampleJobRecord({ model: 'claude-sonnet-4-6', system: 'x'.repeat(8_000) })),
    );
    expect(calls[0]?.system).toEqual([
      { type: 'text', text: 'x'.repeat(8_000), cache_control: { type: 'ephemeral' } },
    ]);
  });

  it('runs jobs of one conversation one after another when an order key is set', async () => {
    const order: string[] = [];
    let releaseFirst: () => void = () => undefined;
    const firstDone = new Promise<void>((resolve) => (releaseFirst = resolve));
    const { handler } = setup(async (params) => {
      const text = String(params.messages[0]?.content);
      order.push(`start ${text}`);
      if (text === 'one') await firstDone;
      order.push(`end ${text}`);
      return message();
    }, 'conversation_id');
    const job = (id: string, text: string, conversation: string) =>
      record(
        sampleJobRecord({
          job_id: id,
          messages: [{ role: 'user', content: text }],
          metadata: { conversation_id: conversation },
        }),
      );
    const first = handler.handle(job('j1', 'one', 'c1'));
    const second = handler.handle(job('j2', 'two', 'c1'));
    const other = handler.handle(job('j3', 'three', 'c2'));
    await other; // another conversation is not held back
    expect(order).toEqual(['start one', 'start three', 'end three']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual([
      'start one',
      'start three',
      'end three',
      'end one',
      'start two',
      'end two',
    ]);
  });
});
