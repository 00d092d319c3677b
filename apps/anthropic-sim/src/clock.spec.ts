import { createSimClock, rfc3339 } from './clock.ts';

describe('sim clock', () => {
  it('is wall time plus an offset that only moves forward', () => {
    let wall = 1_000;
    const clock = createSimClock(() => wall);
    expect(clock.now()).toBe(1_000);
    expect(clock.advance(500)).toBe(500);
    wall = 2_000;
    expect(clock.now()).toBe(2_500);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    clock.reset();
    expect(clock.now()).toBe(2_000);
  });

  it('writes dates as RFC 3339 in UTC', () => {
    expect(rfc3339(0)).toBe('1970-01-01T00:00:00.000Z');
  });
});
