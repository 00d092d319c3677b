import { abort, blockStart, delta, end, JOB, TENANT } from '../../test/stream-fixtures.ts';
import { createJobStream } from './job-stream.ts';

const texts = (stream: ReturnType<typeof createJobStream>) =>
  stream.records.map((r) =>
    r.type === 'delta' && r.delta.type === 'text_delta' ? r.delta.text : r.type,
  );

describe('job stream fold', () => {
  it('shows records in seq order', () => {
    const stream = createJobStream(JOB, TENANT);
    expect(stream.apply(blockStart(0))).toBe('visible');
    expect(stream.apply(delta(1, 'Hel'))).toBe('visible');
    expect(stream.apply(delta(2, 'lo'))).toBe('visible');
    expect(texts(stream)).toEqual(['block_start', 'Hel', 'lo']);
    expect(stream.current).toEqual({ generation: 1, attempt: 1 });
    expect(stream.terminal).toBe(false);
  });

  it('holds a record back behind a gap until the gap closes', () => {
    const stream = createJobStream(JOB, TENANT);
    stream.apply(blockStart(0));
    expect(stream.apply(delta(2, 'b'))).toBe('pending');
    expect(texts(stream)).toEqual(['block_start']);
    expect(stream.pendingCount).toBe(1);
    expect(stream.apply(delta(1, 'a'))).toBe('visible');
    expect(texts(stream)).toEqual(['block_start', 'a', 'b']);
    expect(stream.pendingCount).toBe(0);
  });

  it('ignores a record it has already, seen or pending', () => {
    const stream = createJobStream(JOB, TENANT);
    stream.apply(blockStart(0));
    stream.apply(delta(2, 'b'));
    expect(stream.apply(blockStart(0))).toBe('duplicate');
    expect(stream.apply(delta(2, 'b'))).toBe('duplicate');
    stream.apply(delta(1, 'a'));
    expect(texts(stream)).toEqual(['block_start', 'a', 'b']);
  });

  it('is terminal after the end record', () => {
    const stream = createJobStream(JOB, TENANT);
    [blockStart(0), delta(1, 'x'), end(2)].forEach((r) => stream.apply(r));
    expect(stream.terminal).toBe(true);
    expect(stream.apply(delta(3, 'late'))).toBe('duplicate');
  });

  it('starts over with a newer attempt and drops the older one from then on', () => {
    const stream = createJobStream(JOB, TENANT);
    [blockStart(0), delta(1, 'first try')].forEach((r) => stream.apply(r));
    expect(stream.apply(blockStart(0, 2))).toBe('visible');
    expect(stream.current).toEqual({ generation: 1, attempt: 2 });
    expect(texts(stream)).toEqual(['block_start']);
    expect(stream.apply(delta(2, 'late of attempt 1'))).toBe('stale');
    expect(texts(stream)).toEqual(['block_start']);
  });

  it('moves to the next attempt at an abort that says one follows, keeping the reason', () => {
    const stream = createJobStream(JOB, TENANT);
    [blockStart(0), delta(1, 'x')].forEach((r) => stream.apply(r));
    expect(stream.apply(abort(2, true))).toBe('visible');
    expect(stream.current).toEqual({ generation: 1, attempt: 2 });
    expect(stream.records).toEqual([]);
    expect(stream.retryReason).toEqual({ class: 'transient', message: 'stream broken' });
    expect(stream.terminal).toBe(false);
    // The next attempt's records then do not start over a second time.
    expect(stream.apply(blockStart(0, 2))).toBe('visible');
    expect(stream.retryReason).toBeDefined();
  });

  it('is terminal at an abort that no attempt follows', () => {
    const stream = createJobStream(JOB, TENANT);
    [blockStart(0), abort(1, false)].forEach((r) => stream.apply(r));
    expect(stream.terminal).toBe(true);
    expect(stream.current).toEqual({ generation: 1, attempt: 1 });
  });

  it('a newer generation supersedes every attempt of the older one', () => {
    const stream = createJobStream(JOB, TENANT);
    [blockStart(0, 3), delta(1, 'x', 3)].forEach((r) => stream.apply(r));
    expect(stream.apply(blockStart(0, 1, 2))).toBe('visible');
    expect(stream.current).toEqual({ generation: 2, attempt: 1 });
  });

  it('never shows a record of another tenant or job', () => {
    const stream = createJobStream(JOB, TENANT);
    expect(stream.apply({ ...blockStart(0), tenant: 'globex' })).toBe('foreign');
    expect(stream.apply({ ...blockStart(0), job_id: 'other' })).toBe('foreign');
    expect(stream.current).toBeUndefined();
  });
});
