import { SimConfigError } from '../errors.ts';
import { faultRuleSchema, type FaultRuleInput } from './fault.schema.ts';
import { createFaultInjector, type FaultInjectorOptions } from './fault-injector.ts';

const rule = (input: FaultRuleInput) => faultRuleSchema.parse(input);
const injector = (options: Partial<FaultInjectorOptions> = {}) =>
  createFaultInjector({
    rules: [],
    errorRates: {},
    latency: { mode: 'fixed', ms: 0 },
    seed: 1,
    ...options,
  });

describe('fault rules', () => {
  it('a rule with times applies that many times, then is removed', () => {
    const faults = injector({
      rules: [rule({ action: { type: 'error', status: 500 }, times: 2 })],
    });
    expect(faults.decide({ endpoint: 'messages' })).toMatchObject({ status: 500 });
    expect(faults.decide({ endpoint: 'messages' })).toMatchObject({ status: 500 });
    expect(faults.decide({ endpoint: 'messages' })).toBeUndefined();
    expect(faults.rules()).toEqual([]);
    expect(faults.injected()).toEqual({ error_500: 2 });
  });

  it('matches on the first user message, the model and streaming', () => {
    const faults = injector();
    faults.addRules([
      rule({ match: { contains: 'job-7', model: 'm', stream: true }, action: { type: 'hang' } }),
    ]);
    expect(
      faults.decide({ endpoint: 'messages', firstUserText: 'do job-7', model: 'm', stream: false }),
    ).toBeUndefined();
    expect(
      faults.decide({ endpoint: 'messages', firstUserText: 'do job-8', model: 'm', stream: true }),
    ).toBeUndefined();
    expect(
      faults.decide({ endpoint: 'messages', firstUserText: 'do job-7', model: 'x', stream: true }),
    ).toBeUndefined();
    expect(
      faults.decide({ endpoint: 'messages', firstUserText: 'do job-7', model: 'm', stream: true }),
    ).toEqual({ type: 'hang' });
  });

  it('custom_id rules apply to batch requests only; unscoped rules to messages and batch requests', () => {
    const faults = injector();
    faults.addRules([rule({ match: { custom_id: 'c1' }, action: { type: 'expire' } })]);
    expect(faults.decide({ endpoint: 'messages' })).toBeUndefined();
    expect(faults.decide({ endpoint: 'batch_request', customId: 'c1' })).toEqual({
      type: 'expire',
    });
    faults.clearRules();
    faults.addRules([rule({ action: { type: 'error', status: 529 } })]);
    expect(faults.decide({ endpoint: 'batch_request', customId: 'c9' })).toMatchObject({
      status: 529,
    });
    expect(faults.decide({ endpoint: 'messages' })).toMatchObject({ status: 529 });
    expect(faults.decide({ endpoint: 'batches' })).toBeUndefined();
  });

  it('an action that cannot happen in a context does not match there (and is not used up)', () => {
    const faults = injector({ rules: [rule({ action: { type: 'stream_error' }, times: 1 })] });
    expect(faults.decide({ endpoint: 'messages', stream: false })).toBeUndefined();
    expect(faults.decide({ endpoint: 'batch_request' })).toBeUndefined();
    expect(faults.decide({ endpoint: 'messages', stream: true })).toMatchObject({
      type: 'stream_error',
      after_events: 3,
    });
  });

  it('"expire" outside batch requests is refused', () => {
    expect(() =>
      injector().addRules([rule({ match: { endpoint: 'messages' }, action: { type: 'expire' } })]),
    ).toThrow(SimConfigError);
  });

  it('probability: misses do not use up times', () => {
    const faults = injector({
      rules: [rule({ action: { type: 'reset' }, probability: 0.5, times: 10 })],
    });
    let hits = 0;
    for (let i = 0; i < 200; i++) if (faults.decide({ endpoint: 'messages' }) !== undefined) hits++;
    expect(hits).toBe(10);
  });

  it('error rates hit about their share, reproducibly for a seed', () => {
    const run = () => {
      const faults = injector({ errorRates: { messages: { '500': 0.1, '529': 0.2 } }, seed: 42 });
      return Array.from({ length: 10_000 }, () => faults.decide({ endpoint: 'messages' }));
    };
    const outcomes = run();
    const share = (status: number) =>
      outcomes.filter((a) => a?.type === 'error' && a.status === status).length / outcomes.length;
    expect(share(500)).toBeCloseTo(0.1, 1);
    expect(share(529)).toBeCloseTo(0.2, 1);
    expect(run()).toEqual(outcomes);
  });

  it('lognormal latency has the configured median and is capped', () => {
    const faults = injector({
      latency: { mode: 'lognormal', median_ms: 100, sigma: 0.5, max_ms: 400 },
    });
    const samples = Array.from({ length: 5_000 }, () => faults.sampleLatencyMs()).sort(
      (a, b) => a - b,
    );
    expect(samples[2_500]).toBeGreaterThan(90);
    expect(samples[2_500]).toBeLessThan(110);
    expect(samples.at(-1)).toBeLessThanOrEqual(400);
  });

  it('reset restores the configured rules, rates and latency', () => {
    const faults = injector({ rules: [rule({ action: { type: 'hang' } })] });
    faults.clearRules();
    faults.setErrorRates({ messages: { '500': 1 } });
    faults.setLatency({ mode: 'fixed', ms: 5 });
    faults.reset();
    expect(faults.rules().map((r) => r.action)).toEqual([{ type: 'hang' }]);
    expect(faults.errorRates()).toEqual({});
    expect(faults.sampleLatencyMs()).toBe(0);
  });
});
