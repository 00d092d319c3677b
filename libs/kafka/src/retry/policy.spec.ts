import {
  ClassifiedError,
  defaultClassify,
  InvalidRecordError,
  retryPolicy,
  stageCovering,
  stageDelay,
} from './policy.ts';

describe('retry policy', () => {
  const stages = retryPolicy([5_000, 60_000, 600_000]).stages;

  it('finds the first stage whose delay covers a wait', () => {
    expect(stageCovering(stages, 3_000)).toBe(1);
    expect(stageCovering(stages, 5_000)).toBe(1);
    expect(stageCovering(stages, 30_000)).toBe(2);
    expect(stageCovering(stages, 3_600_000)).toBe(3); // longer than any: the last stage
  });

  it('adds at most the configured jitter', () => {
    const [stage] = retryPolicy([1000], { jitter: 0.1 }).stages;
    expect(stageDelay(stage!, () => 0)).toBe(1000);
    expect(stageDelay(stage!, () => 0.999)).toBe(1100);
  });

  it('classifies: declared classes as declared, programming errors as invalid, the rest transient', () => {
    expect(defaultClassify(new InvalidRecordError('bad json')).errorClass).toBe('invalid');
    expect(
      defaultClassify(new ClassifiedError('throttled', '429', { retryAfterMs: 1500 })),
    ).toEqual({
      errorClass: 'throttled',
      message: '429',
      retryAfterMs: 1500,
    });
    expect(defaultClassify(new TypeError('x is undefined')).errorClass).toBe('invalid');
    expect(defaultClassify(new Error('ECONNRESET')).errorClass).toBe('transient');
  });

  it('refuses negative delays', () => {
    expect(() => retryPolicy([-1])).toThrow(/>= 0/);
  });
});
