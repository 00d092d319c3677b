import { heapRelease } from './heap-pages.ts';

describe('heapRelease', () => {
  it('runs a synchronous last-resort major GC and reports how long it took', () => {
    const calls: unknown[] = [];
    let t = 100;
    const heap = heapRelease(
      (options: unknown) => {
        calls.push(options);
        t += 42;
      },
      () => t,
    );
    expect(heap.available).toBe(true);
    expect(heap.release()).toBe(42);
    expect(calls).toEqual([{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
  });

  it('does nothing without --expose-gc', () => {
    const heap = heapRelease(undefined);
    expect(heap.available).toBe(false);
    expect(heap.release()).toBeUndefined();
  });
});
