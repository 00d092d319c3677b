import { createCircuitBreaker } from './circuit-breaker.ts';
import { createDestination, DestinationUnavailable, type Slot } from './destination.ts';

function destination(overrides: Partial<Parameters<typeof createDestination>[0]> = {}) {
  return createDestination({
    origin: 'https://hooks.example.com',
    breaker: createCircuitBreaker({ failureThreshold: 2, cooldownMs: 1_000, maxCooldownMs: 1_000 }),
    concurrency: 2,
    queueLimit: 2,
    shortPauseMs: 100,
    stallMs: 1_000,
    busyRetryMs: 5_000,
    ...overrides,
  });
}

async function reason(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DestinationUnavailable);
  return error as DestinationUnavailable;
}

describe('destination', () => {
  it('runs up to `concurrency` at once; the next waits for a slot', async () => {
    const d = destination();
    const a = await d.acquire();
    await d.acquire();
    let third: Slot | undefined;
    const waiting = d.acquire().then((s) => (third = s));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(third).toBeUndefined();
    expect(d.queued).toBe(1);
    a.release('success');
    await waiting;
    expect(d.inFlight).toBe(2);
  });

  it('a freed slot goes to the longest waiting record, and only one waiter is woken for it', async () => {
    const d = destination({ concurrency: 1, queueLimit: 10 });
    const first = await d.acquire();
    const order: string[] = [];
    const a = d.acquire().then((s) => (order.push('a'), s));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const b = d.acquire().then((s) => (order.push('b'), s));
    const c = d.acquire().then((s) => (order.push('c'), s));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(d.queued).toBe(3);
    // A waiter woken without a slot for it goes back to sleep on a new timer: count them.
    const timers = jest.spyOn(global, 'setTimeout');
    first.release('success');
    const slotA = await a;
    const rearmed = timers.mock.calls.length;
    timers.mockRestore();
    expect(rearmed).toBe(0); // b and c were not woken to find no slot
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order).toEqual(['a']);
    expect(d.queued).toBe(2);
    slotA.release('success');
    (await b).release('success');
    (await c).release('success');
    expect(order).toEqual(['a', 'b', 'c']);
    expect(d.inFlight).toBe(0);
  });

  it('sheds as busy when the queue is full', async () => {
    const d = destination({ queueLimit: 1 });
    await d.acquire();
    await d.acquire();
    const queued = d.acquire().catch((e: unknown) => e);
    const shed = await reason(d.acquire());
    expect(shed.reason).toBe('busy');
    expect(shed.retryInMs).toBe(5_000);
    expect(await queued).toBeInstanceOf(DestinationUnavailable); // stalled after 1 s
  });

  it('sheds at once when every connection is busy and nothing finished for stallMs', async () => {
    const d = destination({ stallMs: 200 });
    await d.acquire();
    await d.acquire();
    const started = Date.now();
    const shed = await reason(d.acquire());
    expect(shed.reason).toBe('busy');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190); // it waited for one stall period
    const again = Date.now();
    await reason(d.acquire()); // now stalled: no wait at all
    expect(Date.now() - again).toBeLessThan(100);
  });

  it('gives up waiting at the deadline', async () => {
    const d = destination();
    await d.acquire();
    await d.acquire();
    const shed = await reason(d.acquire({ deadline: Date.now() + 20 }));
    expect(shed.reason).toBe('busy');
  });

  it('waits out a short pause, sheds a long one with the time left', async () => {
    const d = destination({ shortPauseMs: 50 });
    d.pause(Date.now() + 40);
    const started = Date.now();
    (await d.acquire()).release('success');
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    d.pause(Date.now() + 10_000);
    const shed = await reason(d.acquire());
    expect(shed.reason).toBe('paused');
    expect(shed.retryInMs).toBeGreaterThan(9_000);
  });

  it('a pause sheds records already waiting in the queue', async () => {
    const d = destination({ concurrency: 1 });
    await d.acquire();
    const waiting = reason(d.acquire());
    d.pause(Date.now() + 60_000);
    expect((await waiting).reason).toBe('paused');
  });

  it('an open circuit sheds; waiters for a probe go once it succeeds', async () => {
    let t = 0;
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      cooldownMs: 1_000,
      maxCooldownMs: 1_000,
      now: () => t,
    });
    const d = destination({ breaker, now: () => t });
    (await d.acquire()).release('failure');
    expect((await reason(d.acquire())).reason).toBe('open');
    t += 1_000;
    const probe = await d.acquire();
    expect(probe.probe).toBe(true);
    let next: Slot | undefined;
    const waiting = d.acquire().then((s) => (next = s));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(next).toBeUndefined();
    probe.release('success');
    await waiting;
    expect(next?.probe).toBe(false);
  });

  it('while a probe has gone unanswered for stallMs, records are shed at once', async () => {
    let t = 0;
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      cooldownMs: 1_000,
      maxCooldownMs: 1_000,
      now: () => t,
    });
    const d = destination({ breaker, now: () => t, stallMs: 500 });
    (await d.acquire()).release('failure');
    t += 1_000;
    const probe = await d.acquire();
    expect(probe.probe).toBe(true);
    t += 499; // not yet: a record waits for the probe's outcome
    let settled = false;
    const waiting = d.acquire({ deadline: t + 10_000 }).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    t += 1; // the probe hangs: shed without waiting, and the waiting record with it
    expect((await reason(d.acquire({ deadline: t + 10_000 }))).reason).toBe('busy');
    expect((await reason(waiting)).reason).toBe('busy');
    probe.release('success');
    expect((await d.acquire()).probe).toBe(false);
  });
});
