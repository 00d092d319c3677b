import type { Consumer } from 'kafkajs';
import type { Logger } from '@claude-pipeline/telemetry';

/**
 * kafkajs restarts a crashed consumer only when the error is retriable: its own
 * `KafkaJSNumberOfRetriesExceeded`, or an error whose original cause is `retriable`
 * (kafkajs src/consumer/index.js, `onCrash`). Anything else — e.g. `KafkaJSNonRetriableError`
 * "Failed to find group coordinator" or "The coordinator is loading" right after a broker
 * restart — ends in a CRASH event with `restart: false`, and the consumer stays stopped while
 * the process runs on: its partitions are consumed by nobody, for good. The chaos suite found
 * exactly that (batch-poller's packer stopped after a broker restart; every later batch job
 * waited forever).
 *
 * `keepConsumerRunning` starts such a consumer again, with backoff, by calling the same
 * connect/subscribe/run sequence that started it (kafkajs keeps event listeners and
 * subscriptions on the consumer object; `run` may be called again once the crash has
 * disconnected it). A consumer stopped by its owner is left alone.
 */
export interface KeepRunningOptions {
  /** Starts the consumer again: the connect, subscribe and run calls that started it. */
  start: () => Promise<void>;
  /** True once the owner is stopping: a crash then is not restarted. */
  stopping: () => boolean;
  /** Called before each restart attempt (for a log line). */
  onRestart?: (info: { error: unknown; attempt: number; delayMs: number }) => void;
  /** Called when an attempt failed (it is tried again after a longer delay). */
  onRestartFailed?: (info: { error: unknown; attempt: number }) => void;
  /** First delay (ms, default 1 s), doubled per failed attempt up to `maxDelayMs` (default 10 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface KeepRunning {
  /** Stops restarting (call when the owner stops). */
  dispose(): void;
  /** Restart attempts so far (for metrics and tests). */
  readonly restarts: number;
}

interface CrashPayload {
  payload: { error: unknown; restart: boolean };
}

export function keepConsumerRunning(consumer: Consumer, options: KeepRunningOptions): KeepRunning {
  const initialDelayMs = options.initialDelayMs ?? 1_000;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  let disposed = false;
  let timer: NodeJS.Timeout | undefined;
  let attempt = 0;
  let restarts = 0;

  const schedule = (error: unknown) => {
    // One attempt pending at a time (a failed attempt may both reject and emit a CRASH).
    if (disposed || timer !== undefined || options.stopping()) return;
    const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 20));
    attempt += 1;
    options.onRestart?.({ error, attempt, delayMs });
    timer = setTimeout(() => {
      timer = undefined;
      if (disposed || options.stopping()) return;
      restarts += 1;
      // `run` does not reject when joining the group fails: kafkajs reports that as another
      // CRASH event, which schedules the next attempt. connect/subscribe failures reject.
      options.start().catch(async (failure: unknown) => {
        options.onRestartFailed?.({ error: failure, attempt });
        // Leave the consumer disconnected before the next attempt connects it again.
        await consumer.disconnect().catch(() => undefined);
        schedule(failure);
      });
    }, delayMs);
    timer.unref();
  };

  const removeCrash = consumer.on(consumer.events.CRASH, ({ payload }: CrashPayload) => {
    if (payload.restart) return; // kafkajs restarts this one itself
    schedule(payload.error);
  });
  // A join means the consumer runs again: the next crash starts from the first delay.
  const removeJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
    attempt = 0;
  });

  return {
    dispose() {
      disposed = true;
      clearTimeout(timer);
      removeCrash();
      removeJoin();
    },
    get restarts() {
      return restarts;
    },
  };
}

/**
 * Starts a consumer with `options.start` and keeps it running (`keepConsumerRunning`), listening
 * before the first start so that a crash while first joining the group is covered too. A first
 * start that rejects (connect or subscribe at boot) is the caller's error: nothing is kept.
 */
export async function startKeptRunning(
  consumer: Consumer,
  options: KeepRunningOptions,
): Promise<KeepRunning> {
  const keeper = keepConsumerRunning(consumer, options);
  try {
    await options.start();
  } catch (error) {
    keeper.dispose();
    throw error;
  }
  return keeper;
}

/** The `onRestart` / `onRestartFailed` log lines every service writes for `keepConsumerRunning`. */
export function restartLogging(
  logger: Logger,
  consumerName: string,
): Pick<KeepRunningOptions, 'onRestart' | 'onRestartFailed'> {
  return {
    onRestart: ({ error, attempt, delayMs }) =>
      logger.warn(
        { err: error, consumer: consumerName, attempt, delay_ms: delayMs },
        'Kafka consumer stopped by kafkajs (an error it does not restart from); starting it again',
      ),
    onRestartFailed: ({ error, attempt }) =>
      logger.warn(
        { err: error, consumer: consumerName, attempt },
        'Kafka consumer did not start again; trying again',
      ),
  };
}
