import { pollDelay } from './backoff.ts';

describe('poll backoff', () => {
  const settings = { intervalMs: 60_000, maxIntervalMs: 600_000 };

  it('starts at the interval and doubles', () => {
    expect(pollDelay(0, settings)).toBe(60_000);
    expect(pollDelay(1, settings)).toBe(120_000);
    expect(pollDelay(2, settings)).toBe(240_000);
  });

  it('never waits longer than the maximum', () => {
    expect(pollDelay(4, settings)).toBe(600_000);
    expect(pollDelay(1000, settings)).toBe(600_000);
  });

  it('works in milliseconds for tests', () => {
    expect(pollDelay(3, { intervalMs: 5, maxIntervalMs: 30 })).toBe(30);
  });
});
