import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import {
  extractTraceContext,
  failpoint,
  sendSplit,
  tracedMessage,
  type ChangelogMessage,
  type StateStore,
  type TopicNames,
  type TracedMessage,
} from '@claude-pipeline/kafka';
import type { DedupeEntry } from '@claude-pipeline/schemas';
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_PIPELINE_CORRELATION_ID,
  ATTR_PIPELINE_DEDUPE_DUPLICATE,
  ATTR_PIPELINE_JOB_ID,
  ATTR_PIPELINE_TENANT,
  recordSpanError,
  type Logger,
} from '@claude-pipeline/telemetry';
import type { Message, RecordMetadata, TopicMessages } from 'kafkajs';
import { decideBatch, type InboundRecord, type Verdict } from './dedupe.decider.ts';
import { isFencedError, PartitionFencedError } from './errors.ts';
import type { DedupeMetrics } from './metrics.ts';
import { acceptedStatus, deadLetter, jobRecord } from './records.builder.ts';
import type { ProducerFactory, TransactionalProducerPort } from './transaction.port.ts';

/** Failpoints of the transactional path (armed by PIPELINE_FAILPOINTS). */
export const FAILPOINTS = {
  /** Inside the transaction: output, changelog and offsets sent, commit not yet asked. */
  afterProduceBeforeCommit: 'dedupe.after-produce-before-commit',
  /** Transaction committed, local store not yet updated (the restore must catch up). */
  afterCommitBeforeApply: 'dedupe.after-commit-before-apply',
  /** Expiry: tombstones sent, commit not yet asked. */
  expiryBeforeCommit: 'dedupe.expiry.before-commit',
} as const;

/** The store calls a lane makes (the lib's StateStore fits). */
export type LaneStore = Pick<
  StateStore<DedupeEntry>,
  | 'restore'
  | 'get'
  | 'stage'
  | 'apply'
  | 'expired'
  | 'size'
  | 'close'
  | 'isReady'
  | 'changelogTopic'
>;

export interface PartitionLaneOptions {
  partition: number;
  topics: TopicNames;
  groupId: string;
  store: LaneStore;
  producers: ProducerFactory;
  metrics: DedupeMetrics;
  logger: Logger;
  windowMs: number;
  /** Most input records per transaction. */
  maxBatchRecords: number;
  /** Most tombstones per expiry transaction. */
  expiryBatchSize: number;
  /** The consumer's current group generation (a batch of an older one is not processed). */
  currentGeneration: () => number;
  clock?: () => number;
  /** Work of an earlier lane of the same partition (its release) that must finish first. */
  after?: Promise<unknown>;
}

export interface LaneBatch {
  /** Records of this partition, in offset order. */
  messages: readonly InboundRecord[];
  /** Group generation the batch was fetched in. */
  generation: number;
  /** The batch's last offset (at or after the last message's: control records are filtered). */
  lastOffset: string;
  /** The partition's high watermark when fetched (lag metric). */
  highWatermark: string;
  /** Called after each committed transaction with the last message offset it covered. */
  onCommitted: (offset: string) => void;
}

export type BatchOutcome = 'done' | 'stale';

export interface PartitionLane {
  readonly partition: number;
  /** True once fenced and restored for `generation`, and not broken since. */
  isPreparedFor(generation: number): boolean;
  /** Fences earlier owners (new producer) and restores the store's tail. Queued on the lane. */
  prepare(generation: number): Promise<void>;
  /**
   * Processes a batch, one transaction per `maxBatchRecords` records. Queued on the lane. On a
   * failure nothing of the failing transaction is visible, the lane re-prepares before its next
   * batch, and the error is thrown (a PartitionFencedError when another owner took over).
   */
  processBatch(batch: LaneBatch): Promise<BatchOutcome>;
  /** Tombstones expired keys, in transactions of `expiryBatchSize`. Queued; 0 when not ready. */
  sweepExpired(generation: number, maxRounds?: number): Promise<number>;
  /** Disconnects the producer and closes the store partition (files kept). Queued. */
  release(): Promise<void>;
  /** Keys in the local store (undefined when not restored). */
  storeSize(): number | undefined;
}

const tracer = () => trace.getTracer('@claude-pipeline/dedupe');

/**
 * Everything dedupe does for one input partition, one step at a time: kafkajs allows one open
 * transaction per producer, and a batch must see the store as the previous batch (or expiry
 * sweep) left it. Batches, sweeps, prepares and the release run in order on one promise chain.
 */
export function createPartitionLane(options: PartitionLaneOptions): PartitionLane {
  const { partition, topics, groupId, store, metrics, logger, windowMs } = options;
  const clock = options.clock ?? Date.now;
  const log = logger.child({ partition });
  let tail: Promise<unknown> = (options.after ?? Promise.resolve()).catch(() => undefined);
  let producer: TransactionalProducerPort | undefined;
  let preparedGeneration: number | undefined;
  let broken = false;
  let sweeping = false;

  function enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  }

  async function dropProducer(): Promise<void> {
    const old = producer;
    producer = undefined;
    await old?.disconnect().catch(() => undefined);
  }

  async function doPrepare(generation: number): Promise<void> {
    const started = performance.now();
    broken = true;
    await dropProducer();
    producer = await options.producers(partition);
    const stats = await store.restore(partition);
    preparedGeneration = generation;
    broken = false;
    metrics.restoreDuration.observe((performance.now() - started) / 1000);
    metrics.restoredRecords.inc(stats.records);
    log.info(
      {
        generation,
        restored: stats.records,
        fromOffset: stats.fromOffset,
        toOffset: stats.toOffset,
        rebuilt: stats.rebuilt,
        durationMs: Math.round(performance.now() - started),
      },
      'partition ready: earlier owners fenced, store restored',
    );
  }

  const readyFor = (generation: number) =>
    !broken &&
    producer !== undefined &&
    preparedGeneration === generation &&
    store.isReady(partition);

  /** A failed transaction: nothing of it is visible; the lane re-prepares before its next use. */
  async function failed(error: unknown): Promise<never> {
    broken = true;
    await dropProducer();
    const fenced = isFencedError(error);
    metrics.transactionFailures.inc({ reason: fenced ? 'fenced' : 'error' });
    if (fenced) throw new PartitionFencedError(partition, { cause: error });
    throw error;
  }

  /** The next changelog offset of this partition after a committed send, if the broker said. */
  function changelogNextOffset(
    metadata: readonly RecordMetadata[],
    staged: number,
  ): number | undefined {
    if (staged === 0) return undefined;
    const ours = metadata.find(
      (m) => m.topicName === store.changelogTopic && m.partition === partition,
    );
    const base = Number(ours?.baseOffset);
    return Number.isSafeInteger(base) && base >= 0 ? base + staged : undefined;
  }

  async function applyCommitted(staged: readonly ChangelogMessage[], next: number | undefined) {
    if (staged.length === 0) return;
    try {
      await store.apply(partition, staged, next);
    } catch (error) {
      // Committed in Kafka, not in the local DB: the next prepare restores it from the changelog.
      broken = true;
      log.warn({ err: error }, 'local store apply failed after commit; will restore');
    }
  }

  interface Planned {
    verdicts: Verdict[];
    spans: Span[];
    traced: TracedMessage[];
    staged: ChangelogMessage[];
    topicMessages: TopicMessages[];
  }

  /** Builds a chunk's output: jobs, statuses, changelog entries, dead letters, and their spans. */
  function plan(chunk: readonly InboundRecord[], now: number): Planned {
    const verdicts = decideBatch(chunk, {
      lookup: (key) => store.get(partition, key),
      windowMs,
      now,
    });
    const spans: Span[] = [];
    const traced: TracedMessage[] = [];
    const jobs: Message[] = [];
    const statuses: Message[] = [];
    const staged: ChangelogMessage[] = [];
    const dead: Message[] = [];
    for (const verdict of verdicts) {
      const { record } = verdict;
      const span = tracer().startSpan(
        `${topics.events} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            [ATTR_MESSAGING_SYSTEM]: 'kafka',
            [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
            [ATTR_MESSAGING_DESTINATION_NAME]: topics.events,
            [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(partition),
            [ATTR_MESSAGING_KAFKA_OFFSET]: Number(record.offset),
            [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: groupId,
          },
        },
        extractTraceContext(record.headers),
      );
      spans.push(span);
      if (verdict.kind === 'poison') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: verdict.reason });
        dead.push(deadLetter(record, { topic: topics.events, partition }, verdict.reason, now));
        continue;
      }
      const { job } = verdict.event;
      span.setAttributes({
        [ATTR_PIPELINE_JOB_ID]: job.job_id,
        [ATTR_PIPELINE_TENANT]: job.tenant,
        [ATTR_PIPELINE_CORRELATION_ID]: job.correlation_id,
        [ATTR_PIPELINE_DEDUPE_DUPLICATE]: verdict.kind === 'duplicate',
      });
      if (verdict.kind === 'duplicate') {
        context.with(trace.setSpan(context.active(), span), () =>
          log.debug(
            { job_id: job.job_id, correlation_id: job.correlation_id },
            'repeat of a known idempotency key dropped',
          ),
        );
        continue;
      }
      // Each output record carries its own job's trace: the PRODUCER spans are children of this
      // record's processing span, not of whatever span the batch runs in.
      context.with(trace.setSpan(context.active(), span), () => {
        log.debug(
          { job_id: job.job_id, correlation_id: job.correlation_id, generation: job.generation },
          'new job (emitted with this transaction)',
        );
        const jobMessage = tracedMessage(jobRecord(verdict, topics.jobs, now));
        const statusMessage = tracedMessage(acceptedStatus(verdict, topics.status, now));
        traced.push(jobMessage, statusMessage);
        jobs.push(jobMessage.message);
        statuses.push(statusMessage.message);
      });
      staged.push(
        store.stage(partition, verdict.key, verdict.entry, { expiresAt: verdict.expiresAt }),
      );
    }
    const topicMessages: TopicMessages[] = [];
    if (jobs.length > 0) topicMessages.push({ topic: topics.jobs, messages: jobs });
    if (statuses.length > 0) topicMessages.push({ topic: topics.status, messages: statuses });
    if (staged.length > 0) {
      topicMessages.push({ topic: store.changelogTopic, messages: [...staged] });
    }
    if (dead.length > 0) topicMessages.push({ topic: topics.dlq('dedupe'), messages: dead });
    return { verdicts, spans, traced, staged, topicMessages };
  }

  function endSpans(planned: Planned, error?: unknown): void {
    for (const t of planned.traced) t.end(error);
    for (const span of planned.spans) {
      if (error !== undefined) recordSpanError(span, error);
      span.end();
    }
  }

  /** One chunk in one transaction: outputs, changelog, dead letters and the input offset. */
  async function runChunk(
    chunk: readonly InboundRecord[],
    commitOffset: string,
    highWatermark: string,
  ): Promise<void> {
    const now = clock();
    const planned = plan(chunk, now);
    const started = performance.now();
    let metadata: RecordMetadata[] = [];
    try {
      if (!producer) throw new Error(`partition ${partition}: no producer`);
      const transaction = await producer.transaction();
      try {
        if (planned.topicMessages.length > 0) {
          // In requests under the topics' max.message.bytes: a fetched batch's jobs, statuses
          // and changelog records can exceed it per partition, and the broker refuses such a
          // record batch whole, for ever (found by bench/dedupe with larger batches).
          metadata = await sendSplit(transaction, planned.topicMessages);
        }
        await transaction.sendOffsets({
          consumerGroupId: groupId,
          topics: [{ topic: topics.events, partitions: [{ partition, offset: commitOffset }] }],
        });
        failpoint(FAILPOINTS.afterProduceBeforeCommit);
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      metrics.transactionDuration.observe(
        { outcome: 'aborted' },
        (performance.now() - started) / 1000,
      );
      endSpans(planned, error);
      return failed(error);
    }
    metrics.transactionDuration.observe(
      { outcome: 'committed' },
      (performance.now() - started) / 1000,
    );
    failpoint(FAILPOINTS.afterCommitBeforeApply);
    await applyCommitted(planned.staged, changelogNextOffset(metadata, planned.staged.length));
    endSpans(planned);
    record(planned, chunk.length, commitOffset, highWatermark);
  }

  function record(
    planned: Planned,
    records: number,
    commitOffset: string,
    highWatermark: string,
  ): void {
    let accepted = 0;
    let duplicates = 0;
    let poison = 0;
    for (const verdict of planned.verdicts) {
      if (verdict.kind === 'accept') accepted += 1;
      else if (verdict.kind === 'duplicate') duplicates += 1;
      else {
        poison += 1;
        log.warn(
          { offset: verdict.record.offset, reason: verdict.reason },
          'poison record dead-lettered',
        );
      }
    }
    const events = topics.events;
    if (accepted > 0) metrics.recordsProcessed.inc({ topic: events, outcome: 'ok' }, accepted);
    if (duplicates > 0) {
      metrics.recordsProcessed.inc({ topic: events, outcome: 'skipped' }, duplicates);
      metrics.duplicates.inc(duplicates);
    }
    if (poison > 0) {
      const dlq = topics.dlq('dedupe');
      metrics.recordsProcessed.inc({ topic: events, outcome: 'dlq' }, poison);
      metrics.dlqRecords.inc({ topic: dlq, error_class: 'invalid', stage: 'source' }, poison);
      metrics.producedRecords.inc({ topic: dlq }, poison);
    }
    if (accepted > 0) {
      metrics.producedRecords.inc({ topic: topics.jobs }, accepted);
      metrics.producedRecords.inc({ topic: topics.status }, accepted);
      metrics.producedRecords.inc({ topic: store.changelogTopic }, accepted);
    }
    metrics.transactionRecords.observe(records);
    const lag = Number(highWatermark) - Number(commitOffset);
    if (Number.isFinite(lag)) {
      metrics.consumerLag.set(
        { group: groupId, topic: events, partition: String(partition) },
        Math.max(0, lag),
      );
    }
  }

  async function sweepOnce(now: number): Promise<number> {
    const expired = store.expired(partition, now, options.expiryBatchSize);
    if (expired.length === 0) return 0;
    const staged = expired.map((e) => store.stage(partition, e.key, null));
    let metadata: RecordMetadata[] = [];
    try {
      if (!producer) throw new Error(`partition ${partition}: no producer`);
      const transaction = await producer.transaction();
      try {
        metadata = await sendSplit(transaction, [
          { topic: store.changelogTopic, messages: staged },
        ]);
        failpoint(FAILPOINTS.expiryBeforeCommit);
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      return failed(error);
    }
    await applyCommitted(staged, changelogNextOffset(metadata, staged.length));
    metrics.expiredKeys.inc(staged.length);
    metrics.producedRecords.inc({ topic: store.changelogTopic }, staged.length);
    return staged.length;
  }

  return {
    partition,
    isPreparedFor: readyFor,
    prepare: (generation) =>
      enqueue(async () => {
        if (readyFor(generation)) return;
        await doPrepare(generation);
      }),
    processBatch: (batch) =>
      enqueue(async (): Promise<BatchOutcome> => {
        const { messages, generation } = batch;
        if (generation !== options.currentGeneration()) return 'stale';
        if (!readyFor(generation)) await doPrepare(generation);
        const size = options.maxBatchRecords;
        for (let start = 0; start < messages.length; start += size) {
          if (generation !== options.currentGeneration()) return 'stale';
          const chunk = messages.slice(start, start + size);
          const last = chunk[chunk.length - 1];
          if (!last) break;
          const isFinal = start + size >= messages.length;
          // The final chunk commits past filtered control records too (batch.lastOffset()).
          const lastOffset =
            isFinal && BigInt(batch.lastOffset) > BigInt(last.offset)
              ? batch.lastOffset
              : last.offset;
          await runChunk(chunk, String(BigInt(lastOffset) + 1n), batch.highWatermark);
          batch.onCommitted(last.offset);
        }
        return 'done';
      }),
    sweepExpired: (generation, maxRounds = 10) => {
      if (sweeping) return Promise.resolve(0);
      sweeping = true;
      return enqueue(async () => {
        let total = 0;
        try {
          for (let round = 0; round < maxRounds && readyFor(generation); round++) {
            const removed = await sweepOnce(clock());
            total += removed;
            if (removed < options.expiryBatchSize) break;
          }
        } finally {
          sweeping = false;
        }
        if (total > 0) log.info({ removed: total }, 'expired idempotency keys tombstoned');
        return total;
      });
    },
    release: () =>
      enqueue(async () => {
        preparedGeneration = undefined;
        await dropProducer();
        await store.close(partition);
        metrics.storeKeys.remove({ partition: String(partition) });
      }),
    storeSize: () => (store.isReady(partition) ? store.size(partition) : undefined),
  };
}
