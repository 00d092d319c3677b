import { createReadinessProbe } from './readiness.ts';
import { createCatchUpTracker } from './status/catch-up.ts';

describe('readiness probe', () => {
  const caughtUp = () => {
    const tracker = createCatchUpTracker();
    tracker.start([]);
    return tracker;
  };

  it('is ready with Kafka reachable, topics present and the view caught up', async () => {
    const probe = createReadinessProbe({
      listTopics: async () => ['p.events', 'p.status', 'other'],
      topics: ['p.events', 'p.status'],
      tracker: caughtUp(),
      consumerRunning: () => true,
      timeoutMs: 100,
    });
    expect(await probe()).toEqual({
      ready: true,
      checks: { kafka: { ok: true }, topics: { ok: true }, status_view: { ok: true } },
    });
  });

  it('names missing topics', async () => {
    const report = await createReadinessProbe({
      listTopics: async () => ['p.events'],
      topics: ['p.events', 'p.status'],
      tracker: caughtUp(),
      consumerRunning: () => true,
      timeoutMs: 100,
    })();
    expect(report.ready).toBe(false);
    expect(report.checks.topics).toEqual({ ok: false, detail: 'missing: p.status' });
  });

  it('is not ready, quickly, when Kafka does not answer', async () => {
    const started = Date.now();
    const report = await createReadinessProbe({
      listTopics: () => new Promise(() => undefined),
      topics: ['p.events'],
      tracker: caughtUp(),
      consumerRunning: () => true,
      timeoutMs: 50,
    })();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(report.ready).toBe(false);
    expect(report.checks.kafka.ok).toBe(false);
  });

  it('is not ready while the view catches up or when its consumer stopped', async () => {
    const tracker = createCatchUpTracker();
    tracker.start([{ partition: 0, low: '0', high: '3' }]);
    const loading = await createReadinessProbe({
      listTopics: async () => ['t'],
      topics: ['t'],
      tracker,
      consumerRunning: () => true,
      timeoutMs: 50,
    })();
    expect(loading.checks.status_view).toEqual({
      ok: false,
      detail: 'catching up: 3 records to read',
    });
    const stopped = await createReadinessProbe({
      listTopics: async () => ['t'],
      topics: ['t'],
      tracker: caughtUp(),
      consumerRunning: () => false,
      timeoutMs: 50,
    })();
    expect(stopped.ready).toBe(false);
  });
});
