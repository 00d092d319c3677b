/** Time allowed to flush spans when a signal would otherwise end the process: 5 s. */
export const SIGNAL_FLUSH_TIMEOUT_MS = 5_000;

export const FLUSH_SIGNALS = ['SIGTERM', 'SIGINT'] as const satisfies readonly NodeJS.Signals[];

interface Flushable {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The part of `process` used here (a fake in unit tests). */
export type SignalTarget = Pick<
  NodeJS.Process,
  'on' | 'once' | 'removeListener' | 'listenerCount' | 'kill' | 'pid'
>;

export interface FlushOnSignalsOptions {
  target?: SignalTarget;
  timeoutMs?: number;
  /** Where flush failures go; default console.warn (a dying process has no better place). */
  warn?: (message: string, error: unknown) => void;
}

const withTimeout = (promise: Promise<void>, ms: number): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Exports buffered spans when the process is told to stop or runs out of work, without taking
 * the decision to exit away from the app:
 * - SIGTERM/SIGINT while the app has its own handler: flush what is buffered now and leave the
 *   rest to the app, which calls `shutdownTelemetry()` at the end of its own shutdown;
 * - SIGTERM/SIGINT with no handler of the app's: shut down (bounded by `timeoutMs`), then re-raise
 *   the signal so the process ends exactly as it would have without this listener;
 * - `beforeExit` (the event loop ran dry): flush once, so short scripts lose no spans.
 * Never calls process.exit. Returns a function that removes the listeners.
 */
export function flushOnSignals(
  telemetry: Flushable,
  options: FlushOnSignalsOptions = {},
): () => void {
  const target = options.target ?? process;
  const timeoutMs = options.timeoutMs ?? SIGNAL_FLUSH_TIMEOUT_MS;
  const warn =
    options.warn ??
    ((message, error) =>
      console.warn(`${message}: ${error instanceof Error ? error.message : String(error)}`));

  const uninstall = (): void => {
    for (const signal of FLUSH_SIGNALS) target.removeListener(signal, onSignal);
    target.removeListener('beforeExit', onBeforeExit);
  };

  const onBeforeExit = (): void => {
    telemetry.forceFlush().catch((error: unknown) => warn('telemetry: flush failed', error));
  };

  function onSignal(signal: NodeJS.Signals): void {
    // Listeners are counted while this one runs, so the app's own are still included.
    const appHandlesSignal = target.listenerCount(signal) > 1;
    if (appHandlesSignal) {
      onBeforeExit();
      return;
    }
    uninstall();
    const done = telemetry.shutdown().catch((error: unknown) => {
      warn('telemetry: shutdown failed', error);
    });
    void withTimeout(done, timeoutMs).then(() => target.kill(target.pid, signal));
  }

  for (const signal of FLUSH_SIGNALS) target.on(signal, onSignal);
  target.once('beforeExit', onBeforeExit);
  return uninstall;
}
