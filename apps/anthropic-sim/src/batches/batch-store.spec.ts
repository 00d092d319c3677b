import { createSimClock } from '../clock.ts';
import type { GenerationSettings } from '../config.ts';
import { invalidRequest } from '../errors.ts';
import { faultRuleSchema } from '../faults/fault.schema.ts';
import { createFaultInjector } from '../faults/fault-injector.ts';
import { createPromptCache } from '../messages/prompt-cache.ts';
import { userSays } from '../../test/fixtures/requests.ts';
import { createBatchStore, type BatchEntry, type BatchRecord } from './batch-store.ts';

const generation: GenerationSettings = {
  tokensPerSecond: 0,
  ttftMs: 0,
  pingIntervalMs: 5000,
  outputTokensMin: 4,
  outputTokensMax: 8,
  charsPerToken: 4,
};

const entry = (customId: string): BatchEntry => ({
  customId,
  request: userSays(`question ${customId}`),
  error: undefined,
  model: 'claude-sonnet-4-6',
  firstUserText: `question ${customId}`,
});

function setup() {
  let wall = 1_700_000_000_000;
  const clock = createSimClock(() => wall);
  const faults = createFaultInjector({
    rules: [],
    errorRates: {},
    latency: { mode: 'fixed', ms: 0 },
    seed: 1,
  });
  const ended: BatchRecord[] = [];
  const store = createBatchStore({
    clock,
    settings: { processingMs: 10_000, cancelMs: 1_000, webhook: undefined },
    faults,
    cache: createPromptCache({ clock, minTokens: 1024 }),
    generation: () => generation,
    onEnded: (record) => ended.push(record),
  });
  return { store, faults, ended, advance: (ms: number) => (wall += ms) };
}

describe('batch store', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => {
    s = setup();
  });
  afterEach(() => {
    s.store.close();
  });

  it('in_progress until the processing time has passed, then ended with every request succeeded', () => {
    const record = s.store.create([entry('a'), entry('b')]);
    expect(s.store.view(record, 'http://sim')).toMatchObject({
      processing_status: 'in_progress',
      request_counts: { processing: 2, succeeded: 0 },
      results_url: null,
    });
    s.advance(9_999);
    expect(s.store.get(record.id)?.endedAt).toBeUndefined();
    s.advance(1);
    const view = s.store.view(s.store.get(record.id)!, 'http://sim');
    expect(view).toMatchObject({
      processing_status: 'ended',
      request_counts: { processing: 0, succeeded: 2, errored: 0, canceled: 0, expired: 0 },
      results_url: `http://sim/v1/messages/batches/${record.id}/results`,
    });
    expect(s.ended).toEqual([record]);
    expect(s.store.running()).toBe(0);
  });

  it('results are succeeded messages with stable ids and the batch service tier', () => {
    const record = s.store.create([entry('a')]);
    s.advance(10_000);
    s.store.tick();
    const [first] = [...s.store.results(record)];
    const [again] = [...s.store.results(record)];
    expect(first).toEqual(again);
    expect(first).toMatchObject({
      custom_id: 'a',
      result: { type: 'succeeded', message: { type: 'message', usage: { service_tier: 'batch' } } },
    });
  });

  it('cancel: canceling, then ended after the cancel delay with unfinished requests canceled', () => {
    const record = s.store.create([entry('a'), entry('b'), entry('c'), entry('d')]);
    s.advance(5_000);
    expect(s.store.cancel(record)).toBe(true);
    expect(s.store.view(record, '').processing_status).toBe('canceling');
    s.advance(1_000);
    s.store.tick();
    expect(record.counts).toEqual({
      processing: 0,
      succeeded: 2,
      errored: 0,
      canceled: 2,
      expired: 0,
    });
    expect([...s.store.results(record)].map((r) => r.result.type)).toEqual([
      'succeeded',
      'succeeded',
      'canceled',
      'canceled',
    ]);
    expect(s.store.cancel(record)).toBe(false);
  });

  it('invalid params and fault rules decide errored and expired outcomes', () => {
    s.faults.addRules([
      faultRuleSchema.parse({ match: { custom_id: 'x' }, action: { type: 'expire' } }),
      faultRuleSchema.parse({ match: { custom_id: 'y' }, action: { type: 'error', status: 529 } }),
    ]);
    const bad: BatchEntry = {
      ...entry('bad'),
      request: undefined,
      error: invalidRequest('max_tokens: Field required'),
    };
    const record = s.store.create([entry('ok'), entry('x'), entry('y'), bad]);
    s.advance(10_000);
    s.store.tick();
    expect(record.counts).toEqual({
      processing: 0,
      succeeded: 1,
      errored: 2,
      canceled: 0,
      expired: 1,
    });
    const results = new Map([...s.store.results(record)].map((r) => [r.custom_id, r.result]));
    expect(results.get('x')).toEqual({ type: 'expired' });
    expect(results.get('y')).toMatchObject({
      type: 'errored',
      error: {
        type: 'error',
        error: { type: 'overloaded_error' },
        request_id: expect.stringMatching(/^req_/),
      },
    });
    expect(results.get('bad')).toMatchObject({
      type: 'errored',
      error: { error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } },
    });
  });

  it('lists newest first and forgets deleted batches', () => {
    const a = s.store.create([entry('a')]);
    const b = s.store.create([entry('b')]);
    expect(s.store.list().map((r) => r.id)).toEqual([b.id, a.id]);
    s.store.delete(a);
    expect(s.store.get(a.id)).toBeUndefined();
    expect(s.store.list()).toHaveLength(1);
  });

  it('a timer ends due batches without anyone asking', async () => {
    const quick = setup();
    const store = createBatchStore({
      clock: createSimClock(),
      settings: { processingMs: 20, cancelMs: 0, webhook: undefined },
      faults: quick.faults,
      cache: createPromptCache({ clock: createSimClock(), minTokens: 1024 }),
      generation: () => generation,
      onEnded: () => undefined,
    });
    try {
      const record = store.create([entry('a')]);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(record.endedAt).toBeDefined();
    } finally {
      store.close();
      quick.store.close();
    }
  });
});
