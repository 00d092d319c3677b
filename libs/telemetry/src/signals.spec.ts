import { EventEmitter } from 'node:events';
import { flushOnSignals, type SignalTarget } from './signals.ts';

function fakeProcess() {
  const kill = jest.fn<boolean, [number, NodeJS.Signals]>(() => true);
  const target = Object.assign(new EventEmitter(), { pid: 4242, kill });
  return { target: target as unknown as SignalTarget & EventEmitter, kill };
}

function fakeTelemetry(shutdown: () => Promise<void> = () => Promise.resolve()) {
  return { forceFlush: jest.fn(() => Promise.resolve()), shutdown: jest.fn(shutdown) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('flushOnSignals', () => {
  it('with no handler of the app: shuts down, then re-raises the signal', async () => {
    const { target, kill } = fakeProcess();
    const telemetry = fakeTelemetry();
    flushOnSignals(telemetry, { target });
    target.emit('SIGTERM', 'SIGTERM');
    await tick();
    expect(telemetry.shutdown).toHaveBeenCalledTimes(1);
    expect(kill).toHaveBeenCalledWith(4242, 'SIGTERM');
    // Removed first, so the re-raised signal gets Node's default behaviour.
    expect(target.listenerCount('SIGTERM')).toBe(0);
    expect(target.listenerCount('SIGINT')).toBe(0);
  });

  it("with the app's own handler: flushes only, and the app decides when to exit", async () => {
    const { target, kill } = fakeProcess();
    const telemetry = fakeTelemetry();
    const appHandler = jest.fn();
    flushOnSignals(telemetry, { target });
    target.once('SIGINT', appHandler);
    target.emit('SIGINT', 'SIGINT');
    await tick();
    expect(appHandler).toHaveBeenCalledWith('SIGINT');
    expect(telemetry.forceFlush).toHaveBeenCalledTimes(1);
    expect(telemetry.shutdown).not.toHaveBeenCalled();
    expect(kill).not.toHaveBeenCalled();
  });

  it('re-raises after the timeout when the shutdown hangs', async () => {
    const { target, kill } = fakeProcess();
    const telemetry = fakeTelemetry(() => new Promise(() => undefined));
    flushOnSignals(telemetry, { target, timeoutMs: 10 });
    target.emit('SIGTERM', 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(kill).toHaveBeenCalledWith(4242, 'SIGTERM');
  });

  it('still re-raises when the shutdown fails, reporting the failure', async () => {
    const { target, kill } = fakeProcess();
    const warn = jest.fn();
    flushOnSignals(
      fakeTelemetry(() => Promise.reject(new Error('export down'))),
      { target, warn },
    );
    target.emit('SIGTERM', 'SIGTERM');
    await tick();
    expect(warn).toHaveBeenCalledWith('telemetry: shutdown failed', expect.any(Error));
    expect(kill).toHaveBeenCalledWith(4242, 'SIGTERM');
  });

  it('flushes once when the event loop runs dry', () => {
    const { target } = fakeProcess();
    const telemetry = fakeTelemetry();
    flushOnSignals(telemetry, { target });
    target.emit('beforeExit', 0);
    target.emit('beforeExit', 0);
    expect(telemetry.forceFlush).toHaveBeenCalledTimes(1);
  });

  it('removes its listeners when uninstalled', () => {
    const { target } = fakeProcess();
    const uninstall = flushOnSignals(fakeTelemetry(), { target });
    expect(target.listenerCount('SIGTERM')).toBe(1);
    uninstall();
    expect(['SIGTERM', 'SIGINT', 'beforeExit'].map((e) => target.listenerCount(e))).toEqual([
      0, 0, 0,
    ]);
  });
});
