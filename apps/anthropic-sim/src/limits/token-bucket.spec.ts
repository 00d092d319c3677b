import { createTokenBucket } from './token-bucket.ts';

describe('token bucket', () => {
  it('starts full and refills continuously at capacity per minute', () => {
    const bucket = createTokenBucket(600, 0); // 10 a second
    expect(bucket.level(0)).toBe(600);
    bucket.take(600, 0);
    expect(bucket.level(0)).toBe(0);
    expect(bucket.level(1_000)).toBeCloseTo(10);
    expect(bucket.level(120_000)).toBe(600);
  });

  it('the wait is the time to refill what is missing', () => {
    const bucket = createTokenBucket(60, 0); // 1 a second
    bucket.take(60, 0);
    expect(bucket.waitMs(1, 0)).toBe(1_000);
    expect(bucket.waitMs(5, 2_000)).toBe(3_000);
    expect(bucket.waitMs(1, 60_000)).toBe(0);
  });

  it('a cost above capacity waits for a full bucket, then leaves a debt', () => {
    const bucket = createTokenBucket(60, 0);
    expect(bucket.waitMs(100, 0)).toBe(0);
    bucket.take(100, 0);
    expect(bucket.level(0)).toBe(-40);
    expect(bucket.waitMs(1, 0)).toBe(41_000);
  });

  it('refunds never overfill; fullAt says when it is full again', () => {
    const bucket = createTokenBucket(60, 0);
    bucket.take(30, 0);
    expect(bucket.fullAt(0)).toBe(30_000);
    bucket.refund(100, 0);
    expect(bucket.level(0)).toBe(60);
    expect(bucket.fullAt(5)).toBe(5);
  });
});
