import { stageCovering, stageDelay } from '@claude-pipeline/kafka';
import {
  DEFAULT_RETRY_DELAYS_MS,
  describeDelays,
  MAX_RETRY_STAGES,
  notifierRetryPolicy,
  parseRetryDelays,
} from './schedule.ts';

describe('retry schedule', () => {
  it('defaults to 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: one delay per stage topic', () => {
    expect(describeDelays(DEFAULT_RETRY_DELAYS_MS)).toBe(
      '5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h',
    );
    expect(DEFAULT_RETRY_DELAYS_MS).toHaveLength(MAX_RETRY_STAGES);
    expect(MAX_RETRY_STAGES).toBe(7);
  });

  it('parses milliseconds, spaces allowed', () => {
    expect(parseRetryDelays('200, 400,800')).toEqual([200, 400, 800]);
  });

  it.each([
    ['', 'needs at least one delay'],
    ['1,2,3,4,5,6,7,8', 'at most 7 delays'],
    ['100,abc', '"abc" is not a whole number'],
    ['0', '"0" is not a whole number of milliseconds >= 1'],
    ['1.5', 'not a whole number'],
    ['500,200', 'delays must not decrease: 500 then 200'],
  ])('refuses %j (%s)', (text, message) => {
    expect(() => parseRetryDelays(text)).toThrow(message);
  });

  it('builds a policy whose delays are never shortened by jitter', () => {
    const policy = notifierRetryPolicy([1_000, 2_000], 0.1);
    expect(policy.stages.map((s) => s.delayMs)).toEqual([1_000, 2_000]);
    expect(stageDelay(policy.stages[0]!, () => 0)).toBe(1_000);
    expect(stageDelay(policy.stages[0]!, () => 0.999)).toBeLessThanOrEqual(1_100);
  });

  it('never waits out a throttle in the chain itself: the destination does that', () => {
    expect(notifierRetryPolicy([1_000], 0).maxInProcessDeferralMs).toBe(0);
  });

  it('parks a throttled record in the first stage whose delay covers the wait', () => {
    const stages = notifierRetryPolicy(DEFAULT_RETRY_DELAYS_MS, 0).stages;
    expect(stageCovering(stages, 5_000)).toBe(1);
    expect(stageCovering(stages, 30_000)).toBe(2); // a 30 s Retry-After waits in the 5 min stage
    expect(stageCovering(stages, 100 * 3_600_000)).toBe(7);
  });
});
