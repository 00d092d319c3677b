import { sampleSucceededResult } from '@claude-pipeline/schemas/testing';
import type { StatusRecord } from '@claude-pipeline/schemas';
import { createCatchUpTracker } from './catch-up.ts';
import { acceptedResponse, createRecentlyAccepted } from './recently-accepted.ts';
import { createStatusView, statusResponse } from './status-view.ts';

const record = (overrides: Partial<StatusRecord> = {}): StatusRecord => ({
  schema_version: 1,
  job_id: 'job-1',
  tenant: 'acme',
  correlation_id: 'c-1',
  generation: 1,
  state: 'accepted',
  mode: 'realtime',
  has_callback: false,
  updated_at: '2026-03-01T12:00:00.000Z',
  attempts: [],
  ...overrides,
});
const bytes = (value: StatusRecord) => Buffer.from(JSON.stringify(value));
const {
  job_id: _j,
  tenant: _t,
  correlation_id: _c,
  generation: _g,
  schema_version: _s,
  ...result
} = sampleSucceededResult();

describe('status view', () => {
  it('keeps the highest (generation, rank) whatever the arrival order', () => {
    const view = createStatusView();
    view.fold('job-1', bytes(record({ state: 'processing', updated_at: '2026-03-01T12:00:02Z' })));
    view.fold('job-1', bytes(record({ state: 'queued', updated_at: '2026-03-01T12:00:01Z' })));
    expect(view.get('job-1')!.state).toBe('processing');
    view.fold('job-1', bytes(record({ state: 'succeeded', result })));
    expect(view.get('job-1')!.state).toBe('succeeded');
    view.fold('job-1', bytes(record({ generation: 2, state: 'queued' })));
    expect(view.get('job-1')).toMatchObject({ generation: 2, state: 'queued' });
  });

  it('forgets a job on a tombstone', () => {
    const view = createStatusView();
    view.fold('job-1', bytes(record()));
    expect(view.fold('job-1', null)).toBe('deleted');
    expect(view.get('job-1')).toBeUndefined();
    expect(view.size).toBe(0);
  });

  it('skips records that are not status records', () => {
    const view = createStatusView();
    expect(view.fold('job-1', Buffer.from('{"nope":1}'))).toBe('invalid');
    expect(view.fold('job-1', Buffer.from('not json'))).toBe('invalid');
    expect(view.fold(null, null)).toBe('invalid');
    expect(view.size).toBe(0);
  });

  it('answers with the public shape, result included once there is one', () => {
    const body = statusResponse(record({ state: 'succeeded', result, batch_id: 'b-1' }));
    expect(body).toEqual({
      id: 'job-1',
      correlation_id: 'c-1',
      generation: 1,
      state: 'succeeded',
      mode: 'realtime',
      updated_at: '2026-03-01T12:00:00.000Z',
      attempts: [],
      batch_id: 'b-1',
      result,
    });
  });
});

describe('catch-up tracker', () => {
  it('is caught up once every partition reached its end offset at start', () => {
    const tracker = createCatchUpTracker();
    expect(tracker.caughtUp).toBe(false);
    expect(tracker.remaining).toBeUndefined();
    tracker.start([
      { partition: 0, low: '0', high: '10' },
      { partition: 1, low: '0', high: '4' },
    ]);
    expect(tracker.remaining).toBe(14);
    tracker.advance(0, '10');
    expect(tracker.caughtUp).toBe(false);
    tracker.advance(1, '3');
    expect(tracker.remaining).toBe(1);
    tracker.advance(1, '5');
    expect(tracker.caughtUp).toBe(true);
    expect(tracker.remaining).toBe(0);
  });

  it('counts empty and fully deleted partitions as caught up', () => {
    const tracker = createCatchUpTracker();
    tracker.start([
      { partition: 0, low: '0', high: '0' },
      { partition: 1, low: '7', high: '7' },
    ]);
    expect(tracker.caughtUp).toBe(true);
  });

  it('starts counting at the low offset (records before it are gone)', () => {
    const tracker = createCatchUpTracker();
    tracker.start([{ partition: 0, low: '90', high: '100' }]);
    expect(tracker.remaining).toBe(10);
  });

  it('stays caught up', () => {
    const tracker = createCatchUpTracker();
    tracker.start([]);
    expect(tracker.caughtUp).toBe(true);
    tracker.advance(0, '1');
    expect(tracker.caughtUp).toBe(true);
  });
});

describe('recently accepted', () => {
  const entry = {
    tenant: 'acme',
    correlationId: 'c',
    mode: 'batch' as const,
    acceptedAt: '2026-03-01T12:00:00.000Z',
  };

  it('answers accepted for a remembered job', () => {
    const cache = createRecentlyAccepted({ maxEntries: 10, ttlMs: 1000 });
    cache.remember('job-1', entry);
    expect(acceptedResponse('job-1', cache.get('job-1')!)).toEqual({
      id: 'job-1',
      correlation_id: 'c',
      generation: 1,
      state: 'accepted',
      mode: 'batch',
      updated_at: '2026-03-01T12:00:00.000Z',
      attempts: [],
    });
  });

  it('forgets entries after the TTL', () => {
    let now = 0;
    const cache = createRecentlyAccepted({ maxEntries: 10, ttlMs: 1000, now: () => now });
    cache.remember('job-1', entry);
    now = 1001;
    expect(cache.get('job-1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops the oldest entries beyond the limit', () => {
    const cache = createRecentlyAccepted({ maxEntries: 2, ttlMs: 1000 });
    cache.remember('a', entry);
    cache.remember('b', entry);
    cache.remember('a', entry); // refreshed: now the newest
    cache.remember('c', entry);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });
});
