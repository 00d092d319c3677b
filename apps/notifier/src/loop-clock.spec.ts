import { startLoopClock } from './loop-clock.ts';

describe('startLoopClock', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('follows the wall clock while the loop keeps up', () => {
    const clock = startLoopClock({ tickMs: 10, toleranceMs: 20 });
    const start = clock.now();
    jest.advanceTimersByTime(1_000);
    expect(clock.now() - start).toBe(1_000);
    expect(clock.lostMs).toBe(0);
    clock.stop();
  });

  it('stands still while the loop is stalled, and resumes without a jump afterwards', () => {
    const clock = startLoopClock({ tickMs: 10, toleranceMs: 20 });
    jest.advanceTimersByTime(100);
    const before = clock.now();
    // A stall: wall time passes, no timer runs (synchronous work).
    jest.setSystemTime(Date.now() + 1_500);
    const during = clock.now();
    expect(during - before).toBeLessThanOrEqual(30); // tolerance + one tick at most
    expect(clock.lostMs).toBeGreaterThanOrEqual(1_470);
    // The loop runs again: the late tick books the loss; no jump, no going back.
    jest.advanceTimersByTime(10);
    const after = clock.now();
    expect(after).toBeGreaterThanOrEqual(during);
    expect(after - during).toBeLessThanOrEqual(30);
    jest.advanceTimersByTime(500);
    expect(clock.now() - after).toBe(500);
    clock.stop();
  });

  it('never runs backwards across many small and large stalls', () => {
    const clock = startLoopClock({ tickMs: 10, toleranceMs: 20 });
    let last = clock.now();
    for (let i = 0; i < 200; i += 1) {
      jest.setSystemTime(Date.now() + ((i * 37) % 90));
      const a = clock.now();
      expect(a).toBeGreaterThanOrEqual(last);
      jest.advanceTimersByTime((i % 3) * 7);
      const b = clock.now();
      expect(b).toBeGreaterThanOrEqual(a);
      last = b;
    }
    clock.stop();
  });
});
