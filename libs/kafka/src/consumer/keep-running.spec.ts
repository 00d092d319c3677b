import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { keepConsumerRunning, startKeptRunning } from './keep-running.ts';

/** The parts of a kafkajs consumer the helper uses: events, `on` returning a remover, disconnect. */
function fakeConsumer() {
  const emitter = new EventEmitter();
  const events = { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' };
  let disconnects = 0;
  const consumer = {
    events,
    on: (event: string, listener: (e: unknown) => void) => {
      emitter.on(event, listener);
      return () => emitter.off(event, listener);
    },
    disconnect: async () => {
      disconnects += 1;
    },
  } as unknown as Consumer;
  return {
    consumer,
    crash: (restart: boolean) =>
      emitter.emit(events.CRASH, { payload: { error: new Error('gone'), restart } }),
    join: () => emitter.emit(events.GROUP_JOIN, { payload: {} }),
    disconnects: () => disconnects,
  };
}

describe('keepConsumerRunning', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('starts a consumer again after a crash kafkajs does not restart from', async () => {
    const fake = fakeConsumer();
    const start = jest.fn(async () => undefined);
    const keep = keepConsumerRunning(fake.consumer, {
      start,
      stopping: () => false,
      initialDelayMs: 100,
    });
    fake.crash(false);
    await jest.advanceTimersByTimeAsync(99);
    expect(start).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(start).toHaveBeenCalledTimes(1);
    expect(keep.restarts).toBe(1);
    keep.dispose();
  });

  it('leaves a crash kafkajs restarts itself alone', async () => {
    const fake = fakeConsumer();
    const start = jest.fn(async () => undefined);
    const keep = keepConsumerRunning(fake.consumer, {
      start,
      stopping: () => false,
      initialDelayMs: 10,
    });
    fake.crash(true);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(start).not.toHaveBeenCalled();
    keep.dispose();
  });

  it('tries again with a doubling delay while starting fails, and from the first delay after a join', async () => {
    const fake = fakeConsumer();
    let failures = 2;
    const attempts: number[] = [];
    const start = jest.fn(async () => {
      attempts.push(Date.now());
      if (failures-- > 0) throw new Error('broker still away');
    });
    const onRestart = jest.fn();
    const t0 = Date.now();
    const keep = keepConsumerRunning(fake.consumer, {
      start,
      stopping: () => false,
      initialDelayMs: 100,
      maxDelayMs: 300,
      onRestart,
    });
    fake.crash(false);
    await jest.advanceTimersByTimeAsync(100 + 200 + 300);
    expect(attempts.map((t) => t - t0)).toEqual([100, 300, 600]);
    expect(onRestart.mock.calls.map(([i]) => (i as { delayMs: number }).delayMs)).toEqual([
      100, 200, 300,
    ]);
    // Each failed attempt leaves the consumer disconnected before the next one.
    expect(fake.disconnects()).toBe(2);

    fake.join();
    fake.crash(false);
    await jest.advanceTimersByTimeAsync(100);
    expect(start).toHaveBeenCalledTimes(4);
    keep.dispose();
  });

  it('schedules one attempt for a failure that both rejects and crashes', async () => {
    const fake = fakeConsumer();
    const start = jest.fn(async () => {
      fake.crash(false);
      throw new Error('join failed');
    });
    const keep = keepConsumerRunning(fake.consumer, {
      start,
      stopping: () => false,
      initialDelayMs: 100,
      maxDelayMs: 100,
    });
    fake.crash(false);
    await jest.advanceTimersByTimeAsync(100);
    expect(start).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(100);
    expect(start).toHaveBeenCalledTimes(2);
    keep.dispose();
  });

  it('does nothing once the owner stops or disposes it', async () => {
    const fake = fakeConsumer();
    let stopping = false;
    const start = jest.fn(async () => undefined);
    const keep = keepConsumerRunning(fake.consumer, {
      start,
      stopping: () => stopping,
      initialDelayMs: 100,
    });
    fake.crash(false);
    stopping = true;
    await jest.advanceTimersByTimeAsync(1_000);
    expect(start).not.toHaveBeenCalled();

    stopping = false;
    keep.dispose();
    fake.crash(false);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(start).not.toHaveBeenCalled();
  });

  it('startKeptRunning covers a crash during the first start, and keeps nothing when that start rejects', async () => {
    const fake = fakeConsumer();
    let first = true;
    const start = jest.fn(async () => {
      if (first) {
        first = false;
        fake.crash(false); // the first join failed: kafkajs reports it as a CRASH, run resolves
      }
    });
    const keep = await startKeptRunning(fake.consumer, {
      start,
      stopping: () => false,
      initialDelayMs: 100,
    });
    await jest.advanceTimersByTimeAsync(100);
    expect(start).toHaveBeenCalledTimes(2);
    keep.dispose();

    const broken = fakeConsumer();
    const refuse = jest.fn(async () => {
      throw new Error('connect refused');
    });
    await expect(
      startKeptRunning(broken.consumer, {
        start: refuse,
        stopping: () => false,
        initialDelayMs: 10,
      }),
    ).rejects.toThrow('connect refused');
    broken.crash(false);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(refuse).toHaveBeenCalledTimes(1);
  });
});
