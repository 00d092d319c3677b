import { heapRelease, isReleaseDue } from './heap-pages.ts';
import { RELEASE_HEAP_AFTER } from './packer.ts';

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

describe('isReleaseDue (the packer after a batch is created)', () => {
  const due = (requests: number, bytes: number, sinceLastMs = Number.POSITIVE_INFINITY) =>
    isReleaseDue({ requests, bytes, sinceLastMs }, RELEASE_HEAP_AFTER);

  it('not after a default-size batch (10,000 small requests)', () => {
    expect(due(10_000, 5 * 1024 * 1024)).toBe(false);
  });

  it('after a batch of 50,000+ requests, or of 64 MB+ of request JSON', () => {
    expect(due(100_000, 15 * 1024 * 1024)).toBe(true);
    expect(due(700, 70 * 1024 * 1024)).toBe(true);
  });

  it('at most once a minute, however many lanes flush large batches', () => {
    expect(due(100_000, 0, 59_999)).toBe(false);
    expect(due(100_000, 0, 60_000)).toBe(true);
  });
});
