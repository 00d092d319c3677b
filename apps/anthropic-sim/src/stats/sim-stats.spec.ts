import { createSimStats } from './sim-stats.ts';

describe('sim stats', () => {
  it('counts by status, model and endpoint and tracks peak concurrency', () => {
    const stats = createSimStats(() => 0);
    stats.begin();
    stats.begin();
    stats.end({
      endpoint: 'messages',
      model: 'm',
      status: '200',
      processingMs: 1,
      addedLatencyMs: 2,
    });
    stats.begin();
    stats.end({
      endpoint: 'messages',
      model: undefined,
      status: '401',
      processingMs: 1,
      addedLatencyMs: 1,
    });
    stats.end({
      endpoint: 'batches.create',
      model: undefined,
      status: 'reset',
      processingMs: 0,
      addedLatencyMs: undefined,
    });
    const snapshot = stats.snapshot();
    expect(snapshot.requests).toEqual({
      total: 3,
      by_status: { '200': 1, '401': 1, reset: 1 },
      by_model: { m: 1 },
      by_endpoint: { messages: 2, 'batches.create': 1 },
    });
    expect(snapshot.concurrency).toEqual({ current: 0, peak: 2 });
    expect(snapshot.added_latency_ms.count).toBe(2);
    expect(snapshot.processing_ms.count).toBe(3);
  });

  it('request rate over the last 10 and 60 seconds', () => {
    let now = 1_000_000;
    const stats = createSimStats(() => now);
    for (let i = 0; i < 30; i++) {
      stats.begin();
      stats.end({
        endpoint: 'messages',
        model: undefined,
        status: '200',
        processingMs: 0,
        addedLatencyMs: 0,
      });
      now += 1_000;
    }
    // 30 requests, one a second: the last 10 s saw 9 (this second has none yet).
    expect(stats.snapshot().rate).toEqual({
      requests_per_second_10s: 0.9,
      requests_per_second_60s: 0.5,
    });
  });

  it('percentiles of processing time', () => {
    const stats = createSimStats(() => 0);
    for (let i = 1; i <= 100; i++) {
      stats.end({
        endpoint: 'messages',
        model: undefined,
        status: '200',
        processingMs: i,
        addedLatencyMs: i * 2,
      });
    }
    expect(stats.snapshot().processing_ms).toEqual({
      count: 100,
      mean: 50.5,
      p50: 51,
      p99: 100,
      max: 100,
    });
    expect(stats.snapshot().added_latency_ms.max).toBe(200);
  });

  it('tokens and batch events add up; reset clears everything but current concurrency', () => {
    const stats = createSimStats(() => 0);
    stats.tokens({ input: 10, output: 5, cacheRead: 3, cacheCreation: 2 });
    stats.tokens({ input: 1, output: 1, cacheRead: 0, cacheCreation: 0 });
    stats.batch('created');
    stats.batch('ended');
    stats.begin();
    expect(stats.snapshot().tokens).toEqual({
      input: 11,
      output: 6,
      cache_read: 3,
      cache_creation: 2,
    });
    expect(stats.snapshot().batches).toEqual({ created: 1, canceled: 0, ended: 1, deleted: 0 });
    stats.reset();
    const snapshot = stats.snapshot();
    expect(snapshot.requests.total).toBe(0);
    expect(snapshot.tokens.input).toBe(0);
    expect(snapshot.concurrency).toEqual({ current: 1, peak: 1 });
  });
});
