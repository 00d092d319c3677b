import { PartitionTracker } from './partition-tracker.ts';

describe('PartitionTracker', () => {
  it('commits only up to the first unfinished offset', () => {
    const t = new PartitionTracker('t', 0, 1);
    [10, 11, 12, 13].forEach((o) => t.dispatched(o));
    t.finished(11);
    t.finished(13);
    expect(t.pendingCommit()).toBeUndefined();
    t.finished(10);
    expect(t.pendingCommit()).toBe(12);
    t.markCommitted(12);
    expect(t.pendingCommit()).toBeUndefined();
    t.finished(12);
    expect(t.pendingCommit()).toBe(14);
    expect(t.running).toBe(0);
  });

  it('counts the window from the last commit, finished or not', () => {
    const t = new PartitionTracker('t', 0, 1);
    for (let o = 0; o < 5000; o += 1) t.dispatched(o);
    for (let o = 0; o < 4000; o += 1) t.finished(o);
    expect(t.running).toBe(1000);
    expect(t.window).toBe(5000); // nothing committed yet: a crash would replay all of it
    expect(t.pendingCommit()).toBe(4000);
    t.markCommitted(4000);
    expect(t.window).toBe(1000);
    t.markCommitted(3000); // an older commit finishing late changes nothing
    expect(t.window).toBe(1000);
  });

  it('handles gaps in offsets (compacted or transactional topics)', () => {
    const t = new PartitionTracker('t', 0, 1);
    [5, 9, 20].forEach((o) => t.dispatched(o));
    t.finished(9);
    t.finished(5);
    expect(t.pendingCommit()).toBe(10);
    t.markCommitted(10);
    expect(t.window).toBe(1);
  });
});
