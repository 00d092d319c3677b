import { context, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import type {
  Consumer,
  ConsumerConfig,
  EachBatchPayload,
  IHeaders,
  Kafka,
  KafkaMessage,
} from 'kafkajs';
import { PipelineKafkaError } from '../errors.ts';
import { extractTraceContext } from '../tracing.ts';
import { PartitionTracker } from './partition-tracker.ts';
import { startKeptRunning, type KeepRunning } from './keep-running.ts';
import { pausePartitions, resumePartitions } from './pause-resume.ts';

/**
 * A consumer with many messages in flight per partition. kafkajs' `eachMessage` runs one
 * message at a time per partition; here `eachBatch` hands messages to handlers without
 * awaiting them, up to `maxInFlight` at once, and:
 * - commits each partition only up to its first unfinished message (PartitionTracker), so a
 *   crash replays at most what was in flight and loses nothing;
 * - pauses a partition's fetch when the in-flight limit is reached (backpressure) and resumes
 *   it when handlers finish; unfetched-but-undispatched messages are fetched again on resume;
 * - never commits for a partition it no longer owns: kafkajs has no revoke listener, so every
 *   GROUP_JOIN starts a new generation and finishing handlers of an older one commit nothing
 *   (their records are replayed by the new owner, bounded by the in-flight limit);
 * - optionally keeps per-key order (messages with the same key run one after another);
 * - can hold a partition until its head record is due (`notBefore`), for retry stages: the
 *   partition is paused and resumed by a timer — no sleeping handler, no busy polling, and the
 *   other partitions are not blocked;
 * - continues each message's own trace (a CONSUMER span child of its `traceparent`);
 * - drains on stop: no new dispatch, waits for handlers (bounded), commits, disconnects.
 */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  timestamp: string;
  /** The trace context this record carried (parent of the processing span). */
  traceContext: Context;
}

export type RecordHandler = (record: ConsumedRecord) => Promise<void>;

/** A handler error that must stop consumption (e.g. the Claude account is unusable). */
export class ConsumerHaltError extends PipelineKafkaError {}

export interface ConcurrentConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
  handler: RecordHandler;
  /**
   * Messages in flight per partition, counted from the first unfinished one: the window that a
   * crash can replay, so it also bounds duplicates. Default 100.
   */
  maxInFlight?: number;
  /** Run messages with the same key one after another. Default false. */
  perKeyOrdering?: boolean;
  /** Epoch ms before which a record must not be handled (retry stages); undefined = now. */
  notBefore?: (message: KafkaMessage, topic: string) => number | undefined;
  /** How often finished offsets are committed (ms). Default 200. */
  commitIntervalMs?: number;
  fromBeginning?: boolean;
  /**
   * When a partition's window is full, how long to wait for a slot before pausing its fetch
   * (ms). Default 1000.
   */
  backpressureHoldMs?: number;
  /** Partitions whose batches kafkajs hands over at once. Default 4. */
  partitionsConsumedConcurrently?: number;
  /** Passed to kafkajs (sessionTimeout, heartbeatInterval, ...). */
  consumerConfig?: Partial<ConsumerConfig>;
  /**
   * Runs before the first record of a partition is handled in each group generation, e.g. to
   * restore that partition's state store from its changelog. No record of the partition is
   * dispatched until it resolves (heartbeats continue meanwhile); if it rejects, the partition's
   * batch is left unprocessed and fetched again.
   */
  prepare?: (topic: string, partition: number) => Promise<void>;
  /** Called when a handler throws (after which the message is retried in place). */
  onHandlerError?: (record: ConsumedRecord, error: unknown) => void;
  /** Called when a handler throws ConsumerHaltError: consumption is paused everywhere. */
  onHalt?: (error: ConsumerHaltError) => void;
  /**
   * Called when kafkajs stopped the consumer for good (a crash it does not restart from) and it
   * is about to be started again (see keep-running.ts), and when such a start failed.
   */
  onRestart?: (info: { error: unknown; attempt: number; delayMs: number }) => void;
  onRestartFailed?: (info: { error: unknown; attempt: number }) => void;
  now?: () => number;
}

export interface ConcurrentConsumer {
  start(): Promise<void>;
  /** Drains: stops dispatching, waits up to `timeoutMs` for handlers, commits, disconnects. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** Disconnects at once without waiting or committing, as a crash would (tests, fatal exits). */
  abort(): Promise<void>;
  /** Resumes after a halt. */
  resume(): void;
  readonly inFlight: number;
  readonly halted: boolean;
  /** The underlying kafkajs consumer (events, describeGroup...). */
  readonly consumer: Consumer;
}

const tracer = () => trace.getTracer('@claude-pipeline/kafka');

export function createConcurrentConsumer(options: ConcurrentConsumerOptions): ConcurrentConsumer {
  const maxInFlight = options.maxInFlight ?? 100;
  const commitIntervalMs = options.commitIntervalMs ?? 200;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new PipelineKafkaError(`maxInFlight must be an integer >= 1, got ${maxInFlight}`);
  }
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    readUncommitted: false,
    // kafkajs waits up to 5 s by default on a fetch that finds nothing, and a resumed
    // partition is fetched only after that wait: keep it short (Java's fetch.max.wait.ms).
    maxWaitTimeInMs: 500,
    ...options.consumerConfig,
  });

  let generation = 0;
  const trackers = new Map<string, PartitionTracker>();
  let inFlight = 0;
  let stopping = false;
  let stopped = false;
  let halted = false;
  let commitTimer: NodeJS.Timeout | undefined;
  let committing: Promise<void> = Promise.resolve();
  const slotWaiters: (() => void)[] = [];
  /** Partitions paused for backpressure, resumed when slots free up. */
  const pausedForLimit = new Map<string, { topic: string; partition: number }>();
  /** Partitions paused until their head record is due. */
  const dueTimers = new Map<string, { timer: NodeJS.Timeout; topic: string; partition: number }>();
  const keyTails = new Map<string, Promise<void>>();

  const id = (topic: string, partition: number) => `${topic}\u0000${partition}`;

  consumer.on(consumer.events.GROUP_JOIN, () => {
    // A new generation: whatever was assigned before may be gone or replayed from the last
    // commit. Old trackers stop committing; in-flight handlers of theirs just finish.
    generation += 1;
    trackers.clear();
    prepared.clear();
    // Partitions we paused stay paused in kafkajs across a rebalance: resume them, their head
    // records are fetched again and the gates re-checked.
    const paused = [...pausedForLimit.values()];
    for (const [key, { timer, topic, partition }] of dueTimers) {
      clearTimeout(timer);
      dueTimers.delete(key);
      paused.push({ topic, partition });
    }
    dueTimers.clear();
    pausedForLimit.clear();
    if (!halted && !stopping && paused.length > 0) {
      resumePartitions(
        consumer,
        paused.map(({ topic, partition }) => ({ topic, partitions: [partition] })),
      );
    }
  });

  const tracker = (topic: string, partition: number) => {
    const key = id(topic, partition);
    let t = trackers.get(key);
    if (!t) {
      t = new PartitionTracker(topic, partition, generation);
      trackers.set(key, t);
    }
    return t;
  };

  function scheduleCommit(): void {
    if (commitTimer || stopping || stopped) return;
    commitTimer = setTimeout(() => {
      commitTimer = undefined;
      void commitNow();
    }, commitIntervalMs);
  }

  function commitNow(): Promise<void> {
    committing = committing.then(async () => {
      if (stopped) return;
      const offsets = [];
      for (const t of trackers.values()) {
        const offset = t.pendingCommit();
        if (offset !== undefined && t.generation === generation) {
          offsets.push({
            topic: t.topic,
            partition: t.partition,
            offset: String(offset),
            tracker: t,
          });
        }
      }
      if (offsets.length === 0) return;
      try {
        await consumer.commitOffsets(offsets.map(({ tracker: _t, ...o }) => o));
        for (const o of offsets) {
          o.tracker.markCommitted(Number(o.offset));
          windowMoved(o.tracker);
        }
      } catch {
        // Rebalancing or broker away: the offsets stay pending and are committed next time
        // (or replayed by the next owner — never lost).
        scheduleCommit();
      }
    });
    return committing;
  }

  /** Resume threshold: a little below the limit, so fetch is not toggled per message. */
  const resumeBelow = Math.max(1, Math.floor(maxInFlight * 0.9));

  /** Waiters for a partition's window to drop below the limit. */
  const windowWaiters = new Map<PartitionTracker, () => void>();
  const holdMs = options.backpressureHoldMs ?? 1000;

  function windowShrinks(t: PartitionTracker, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        windowWaiters.delete(t);
        resolve(false);
      }, timeoutMs);
      windowWaiters.set(t, () => {
        clearTimeout(timer);
        windowWaiters.delete(t);
        resolve(true);
      });
      // Finished work may already be waiting for the next commit interval: commit it now.
      if (t.pendingCommit() !== undefined) void commitNow();
    });
  }

  function releaseSlot(): void {
    inFlight -= 1;
    slotWaiters.shift()?.();
  }

  /** A partition whose window is full: commit at once instead of at the next interval. */
  const blocked = (t: PartitionTracker) =>
    windowWaiters.has(t) || pausedForLimit.has(id(t.topic, t.partition));

  /** After a commit shrank a window: wake the batch waiting for it, or resume the fetch. */
  function windowMoved(t: PartitionTracker): void {
    if (t.window < maxInFlight) windowWaiters.get(t)?.();
    const key = id(t.topic, t.partition);
    if (
      t.generation === generation &&
      t.window < resumeBelow &&
      pausedForLimit.has(key) &&
      !stopping &&
      !halted
    ) {
      pausedForLimit.delete(key);
      resumePartitions(consumer, [{ topic: t.topic, partitions: [t.partition] }]);
    }
  }

  async function handle(record: ConsumedRecord): Promise<void> {
    const span = tracer().startSpan(
      `${record.topic} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': record.topic,
          'messaging.destination.partition.id': String(record.partition),
          'messaging.kafka.offset': Number(record.offset),
          'messaging.consumer.group.name': options.groupId,
        },
      },
      record.traceContext,
    );
    const ctx = trace.setSpan(record.traceContext, span);
    let backoffMs = 100;
    try {
      for (;;) {
        try {
          await context.with(ctx, () => options.handler(record));
          return;
        } catch (error) {
          if (error instanceof ConsumerHaltError) {
            halt(error);
            throw error;
          }
          span.recordException(error as Error);
          options.onHandlerError?.(record, error);
          if (stopping) throw error;
          // The handler (and its retry chain) failed to settle the record, e.g. Kafka is
          // unreachable: retry in place with backoff; the partition's commit waits for it.
          await new Promise((resolve) => setTimeout(resolve, backoffMs));
          backoffMs = Math.min(backoffMs * 2, 30_000);
        }
      }
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  }

  function halt(error: ConsumerHaltError): void {
    if (halted) return;
    halted = true;
    pausePartitions(
      consumer,
      options.topics.map((topic) => ({ topic })),
    );
    options.onHalt?.(error);
  }

  function dispatch(record: ConsumedRecord, t: PartitionTracker): void {
    inFlight += 1;
    const offset = Number(record.offset);
    t.dispatched(offset);
    const run = () => handle(record);
    let task: Promise<void>;
    const key =
      options.perKeyOrdering && record.key
        ? `${record.topic}\u0000${record.key.toString('latin1')}`
        : undefined;
    if (key) {
      const previous = keyTails.get(key) ?? Promise.resolve();
      task = previous.then(run, run);
      keyTails.set(key, task);
    } else {
      task = run();
    }
    task
      .then(
        () => {
          t.finished(offset);
          if (blocked(t) && t.pendingCommit() !== undefined) void commitNow();
          else scheduleCommit();
        },
        () => {
          // Halted or stopping: the record stays uncommitted and will be consumed again.
        },
      )
      .finally(() => {
        if (key && keyTails.get(key) === task) keyTails.delete(key);
        releaseSlot();
      });
  }

  /** Per generation: partitions prepared (or being prepared). */
  const prepared = new Map<string, Promise<void>>();

  async function whilePreparing(
    work: Promise<void>,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    let settled = false;
    const done = work.finally(() => {
      settled = true;
    });
    while (!settled) {
      await Promise.race([
        done.catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 1000)),
      ]);
      if (!settled) await heartbeat();
    }
    await done;
  }

  async function eachBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const t = tracker(topic, partition);
    if (options.prepare) {
      const key = `${t.generation}\u0000${id(topic, partition)}`;
      let work = prepared.get(key);
      if (!work) {
        work = options.prepare(topic, partition);
        prepared.set(key, work);
        work.catch(() => prepared.delete(key));
      }
      try {
        await whilePreparing(work, heartbeat);
      } catch {
        return; // not ready: nothing dispatched, the batch is fetched again
      }
    }
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || stopping || halted || t.generation !== generation) return;
      const due = options.notBefore?.(message, topic);
      if (due !== undefined && due > now()) {
        // Hold this partition until its head record is due; it is fetched again on resume.
        pausePartitions(consumer, [{ topic, partitions: [partition] }]);
        const key = id(topic, partition);
        clearTimeout(dueTimers.get(key)?.timer);
        const timer = setTimeout(() => {
          dueTimers.delete(key);
          if (!stopping && !halted)
            resumePartitions(consumer, [{ topic, partitions: [partition] }]);
        }, due - now());
        dueTimers.set(key, { timer, topic, partition });
        return;
      }
      if (t.window >= maxInFlight) {
        // Backpressure. Usually a slot frees within moments: wait for it here (the batch is
        // already fetched). If the window stays full (a slow head record), stop fetching this
        // partition until it shrinks, so no other work queues up behind it.
        const freed = await windowShrinks(t, holdMs);
        if (!isRunning() || isStale() || stopping || halted || t.generation !== generation) return;
        if (!freed) {
          pausePartitions(consumer, [{ topic, partitions: [partition] }]);
          pausedForLimit.set(id(topic, partition), { topic, partition });
          return;
        }
        await heartbeat();
      }
      dispatch(
        {
          topic,
          partition,
          offset: message.offset,
          key: message.key ?? null,
          value: message.value ?? null,
          headers: message.headers ?? {},
          timestamp: message.timestamp,
          traceContext: extractTraceContext(message.headers),
        },
        t,
      );
      resolveOffset(message.offset);
    }
    await heartbeat();
  }

  const run = async () => {
    await consumer.connect();
    for (const topic of options.topics) {
      await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
    }
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
      eachBatch,
    });
  };
  let keeper: KeepRunning | undefined;

  return {
    consumer,
    get inFlight() {
      return inFlight;
    },
    get halted() {
      return halted;
    },
    async start() {
      keeper = await startKeptRunning(consumer, {
        start: run,
        stopping: () => stopping || stopped,
        ...(options.onRestart ? { onRestart: options.onRestart } : {}),
        ...(options.onRestartFailed ? { onRestartFailed: options.onRestartFailed } : {}),
      });
    },
    resume() {
      if (!halted) return;
      halted = false;
      resumePartitions(
        consumer,
        options.topics.map((topic) => ({ topic })),
      );
    },
    async stop({ timeoutMs = 30_000 } = {}) {
      stopping = true;
      for (const { timer } of dueTimers.values()) clearTimeout(timer);
      dueTimers.clear();
      pausePartitions(
        consumer,
        options.topics.map((topic) => ({ topic })),
      );
      const deadline = now() + timeoutMs;
      while (inFlight > 0 && now() < deadline) {
        await new Promise<void>((resolve) => {
          slotWaiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      if (commitTimer) clearTimeout(commitTimer);
      commitTimer = undefined;
      await commitNow();
      stopped = true;
      keeper?.dispose();
      await consumer.disconnect();
    },
    async abort() {
      stopping = true;
      stopped = true;
      keeper?.dispose();
      if (commitTimer) clearTimeout(commitTimer);
      for (const { timer } of dueTimers.values()) clearTimeout(timer);
      await consumer.disconnect();
    },
  };
}
