import { createPackBuffer, effectiveLimits } from './packing.ts';

describe('pack buffer', () => {
  it('is full at the request limit', () => {
    const buffer = createPackBuffer<number>({
      maxRequests: 3,
      maxBytes: 1_000_000,
      maxAgeMs: 60_000,
    });
    expect(buffer.add(1, 10, 0)).toBe(false);
    expect(buffer.add(2, 10, 0)).toBe(false);
    expect(buffer.add(3, 10, 0)).toBe(true);
    expect(buffer.take()).toEqual([1, 2, 3]);
    expect(buffer.items).toHaveLength(0);
    expect(buffer.bytes).toBe(0);
  });

  it('says when one more request would overflow the byte limit', () => {
    const buffer = createPackBuffer<string>({ maxRequests: 100, maxBytes: 2048, maxAgeMs: 60_000 });
    buffer.add('a', 1000, 0);
    expect(buffer.wouldOverflow(1000)).toBe(false);
    buffer.add('b', 1000, 0);
    expect(buffer.wouldOverflow(100)).toBe(true);
  });

  it('never overflows on an empty buffer, but rejects one request above the limit', () => {
    const buffer = createPackBuffer<string>({ maxRequests: 100, maxBytes: 2048, maxAgeMs: 60_000 });
    expect(buffer.wouldOverflow(2000)).toBe(false);
    expect(() => buffer.add('huge', 5000, 0)).toThrow(RangeError);
  });

  it('is due once its oldest request waited the age limit', () => {
    const buffer = createPackBuffer<string>({
      maxRequests: 100,
      maxBytes: 1_000_000,
      maxAgeMs: 500,
    });
    expect(buffer.isDue(10_000)).toBe(false);
    buffer.add('a', 10, 1000);
    buffer.add('b', 10, 1400);
    expect(buffer.startedAt).toBe(1000);
    expect(buffer.isDue(1499)).toBe(false);
    expect(buffer.isDue(1500)).toBe(true);
    buffer.take();
    expect(buffer.isDue(5000)).toBe(false);
  });

  it('caps the configuration at the API limits (100,000 requests, 256 MB)', () => {
    const limits = effectiveLimits({ maxRequests: 500_000, maxBytes: 1024 ** 3, maxAgeMs: 0 });
    expect(limits.maxRequests).toBe(100_000);
    expect(limits.maxBytes).toBeLessThanOrEqual(256 * 1024 * 1024);
    expect(limits.maxAgeMs).toBe(1);
  });
});
