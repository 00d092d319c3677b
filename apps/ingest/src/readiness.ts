import type { CatchUpTracker } from './status/catch-up.ts';

/**
 * `/readyz`: Kafka reachable, the topics present, the status view caught up (and its consumer
 * running). Each probe of Kafka is bounded by `timeoutMs`, so a dead broker makes the answer
 * "not ready" quickly instead of hanging the probe.
 */
export interface Check {
  ok: boolean;
  detail?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: { kafka: Check; topics: Check; status_view: Check };
}

export interface ReadinessOptions {
  /** Lists the cluster's topics (kafkajs `admin.listTopics`). */
  listTopics: () => Promise<string[]>;
  topics: readonly string[];
  tracker: Pick<CatchUpTracker, 'caughtUp' | 'remaining'>;
  /** False once the status consumer stopped for good. */
  consumerRunning: () => boolean;
  timeoutMs: number;
}

export type ReadinessProbe = () => Promise<ReadinessReport>;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined); // settles after the timeout: not an unhandled rejection
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createReadinessProbe(options: ReadinessOptions): ReadinessProbe {
  return async () => {
    let kafka: Check;
    let topics: Check;
    try {
      const present = new Set(await withTimeout(options.listTopics(), options.timeoutMs));
      kafka = { ok: true };
      const missing = options.topics.filter((topic) => !present.has(topic));
      topics =
        missing.length === 0
          ? { ok: true }
          : { ok: false, detail: `missing: ${missing.join(', ')}` };
    } catch (error) {
      kafka = { ok: false, detail: error instanceof Error ? error.message : 'unreachable' };
      topics = { ok: false, detail: 'unknown: Kafka unreachable' };
    }
    const status_view: Check = !options.consumerRunning()
      ? { ok: false, detail: 'the status consumer stopped' }
      : options.tracker.caughtUp
        ? { ok: true }
        : { ok: false, detail: `catching up: ${options.tracker.remaining ?? '?'} records to read` };
    return {
      ready: kafka.ok && topics.ok && status_view.ok,
      checks: { kafka, topics, status_view },
    };
  };
}
