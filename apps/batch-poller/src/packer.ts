import type Anthropic from '@anthropic-ai/sdk';
import type { MessageBatch } from '@anthropic-ai/sdk/resources/messages/batches';
import {
  failpoint,
  headerNumber,
  headerString,
  startKeptRunning,
  restartLogging,
  sendSplit,
  TRACEPARENT,
  TRACESTATE,
  type KeepRunning,
} from '@claude-pipeline/kafka';
import { jobRecordSchema, safeParse, type JobRecord } from '@claude-pipeline/schemas';
import type { Logger } from '@claude-pipeline/telemetry';
import kafkajs, { type Consumer, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import type { BatchPollerConfig } from './config.ts';
import type { BatchPollerMetrics } from './metrics.ts';
import { heapRelease, isReleaseDue, type HeapRelease, type ReleaseLimits } from './heap-pages.ts';
import { createPackBuffer, type PackBuffer } from './packing.ts';
import { fencedProducer, inTransaction, isFenced } from './producers.ts';
import { batchedStatus, deadLetter } from './records.ts';
import { batchRequestOf, requestsBody } from './requests.ts';
import { encodeStored, type StoredBatch, type StoredIntent, type StoredJobRef } from './stored.ts';

const { CompressionTypes } = kafkajs;

/** Header a re-packed job would carry; read so a redriven record keeps counting. */
export const BATCH_ATTEMPT_HEADER = 'pipeline-batch-attempt';

/** Failpoints of the packing steps (PIPELINE_FAILPOINTS). */
export const FAILPOINTS = {
  afterIntent: 'batch-poller.after-intent',
  afterCreate: 'batch-poller.after-create',
  afterRecord: 'batch-poller.after-record',
} as const;

/**
 * A batch this large (requests, or bytes of request JSON) grew the heap enough that its freed
 * pages are worth returning to the OS once it is created (see heap-pages.ts); a smaller one's
 * pages are simply reused. At most once a minute, whatever the number of lanes: the collection
 * blocks the event loop (~215 ms after 100,000 requests).
 */
export const RELEASE_HEAP_AFTER: ReleaseLimits = {
  requests: 50_000,
  bytes: 64 * 1024 * 1024,
  minIntervalMs: 60_000,
};

interface Pending {
  ref: StoredJobRef;
  /** The batch request, as JSON (serialized once: its size counts against the limits). */
  request: string;
}

interface Lane {
  readonly partition: number;
  readonly buffer: PackBuffer<Pending>;
  /** Offsets below this were buffered or committed by this lane (a re-delivery is skipped). */
  seenUpTo: bigint;
  /** First and last input offset not yet committed (batch-mode or not). */
  from: bigint | undefined;
  last: bigint | undefined;
  /** Epoch ms when `from` was set. */
  rangeSince: number;
  poison: { message: KafkaMessage; reason: string }[];
  producer: Promise<Producer> | undefined;
  chain: Promise<void>;
  dropped: boolean;
}

function* lazyMap<T, U>(items: readonly T[], map: (item: T) => U): Generator<U> {
  for (const item of items) yield map(item);
}

export interface Packer {
  start(): Promise<void>;
  /** Intents this process is creating a batch for right now (the owner leaves them alone). */
  inFlight(intentId: string): boolean;
  /**
   * Intents this process committed and then failed to create or record a batch for: nobody is
   * working on them, so the owner reconciles them without waiting for the grace period.
   */
  abandoned(intentId: string): boolean;
  pendingRequests(): number;
  running(): boolean;
  stop(): Promise<void>;
}

export interface PackerDeps {
  kafka: Kafka;
  config: BatchPollerConfig;
  topics: { jobs: string; batches: string; status: string; dlq: string };
  client: Anthropic;
  /** Plain idempotent producer (batch records after a create). */
  producer: Producer;
  metrics: BatchPollerMetrics;
  logger: Logger;
  clock: () => number;
  /** Returns freed heap pages after a large batch (default: the `--expose-gc` collection). */
  heap?: HeapRelease;
}

/**
 * Consumes pipeline.jobs (mode `batch`) and packs jobs into Message Batches, per input partition,
 * in three steps ordered to survive a crash anywhere:
 *  1. one Kafka transaction (the partition's own transactional producer): the packing intent on
 *     pipeline.batches (job refs with trace contexts and correlation ids), a `batched` status per
 *     job, and the input offsets;
 *  2. create the Message Batch;
 *  3. record the open batch (batch id, created/expires) on the intent's partition.
 * A crash after 1 or 2 leaves an intent without a batch: the owner of its partition reconciles it
 * (adopts the batch created in 2, or creates it).
 */
export function createPacker(deps: PackerDeps): Packer {
  const { kafka, config, topics, client, metrics, logger, clock } = deps;
  const heap = deps.heap ?? heapRelease();
  const lanes = new Map<number, Lane>();
  const inFlight = new Set<string>();
  const abandoned = new Set<string>();
  let consumer: Consumer | undefined;
  let timer: NodeJS.Timeout | undefined;
  let isRunning = false;
  let stopping = false;
  let keeper: KeepRunning | undefined;
  /** When the last collection was scheduled (a second one within the interval is skipped). */
  let lastRelease = Number.NEGATIVE_INFINITY;

  const laneOf = (partition: number): Lane => {
    let lane = lanes.get(partition);
    if (!lane) {
      lane = {
        partition,
        buffer: createPackBuffer<Pending>(config.packing),
        seenUpTo: -1n,
        from: undefined,
        last: undefined,
        rangeSince: 0,
        poison: [],
        producer: undefined,
        chain: Promise.resolve(),
        dropped: false,
      };
      lanes.set(partition, lane);
    }
    return lane;
  };

  const drop = (lane: Lane) => {
    if (lane.dropped) return;
    lane.dropped = true;
    lanes.delete(lane.partition);
    const producer = lane.producer;
    void lane.chain.finally(async () => {
      await (await producer?.catch(() => undefined))?.disconnect().catch(() => undefined);
    });
  };

  /** Serializes work on one lane (consumer batches and the age timer). */
  const onLane = (lane: Lane, work: () => Promise<void>): Promise<void> => {
    const next = lane.chain.then(async () => {
      if (!lane.dropped) await work();
    });
    lane.chain = next.catch(() => undefined);
    return next;
  };

  const producerOf = (lane: Lane): Promise<Producer> => {
    lane.producer ??= fencedProducer(
      kafka,
      `${config.transactionalIdPrefix}.pack.${lane.partition}`,
      config.transactionTimeoutMs,
    ).catch((error: unknown) => {
      lane.producer = undefined;
      throw error;
    });
    return lane.producer;
  };

  const refOf = (job: JobRecord, message: KafkaMessage, partition: number): StoredJobRef => {
    const traceparent = headerString(message.headers, TRACEPARENT);
    const tracestate = headerString(message.headers, TRACESTATE);
    return {
      job_id: job.job_id,
      tenant: job.tenant,
      correlation_id: job.correlation_id,
      generation: job.generation,
      ...(traceparent && /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(traceparent)
        ? { traceparent }
        : {}),
      ...(tracestate && tracestate.length <= 512 ? { tracestate } : {}),
      source_partition: partition,
      source_offset: message.offset,
      attempt: Math.max(1, Math.floor(headerNumber(message.headers, BATCH_ATTEMPT_HEADER) ?? 1)),
      created_at: job.created_at,
      ...(job.callback ? { callback: job.callback } : {}),
      ...(job.metadata ? { metadata: job.metadata } : {}),
    };
  };

  /** Steps 1-3 for what the lane holds. */
  const flush = async (lane: Lane): Promise<void> => {
    if (lane.from === undefined || lane.last === undefined) return;
    const items = [...lane.buffer.items];
    const requestBytes = lane.buffer.bytes;
    const poison = [...lane.poison];
    const from = lane.from;
    const last = lane.last;
    const now = clock();
    const intentId = `i-${lane.partition}-${from}-${last}`;
    const intent: StoredIntent | undefined =
      items.length === 0
        ? undefined
        : {
            schema_version: 1,
            type: 'intent',
            intent_id: intentId,
            created_at: new Date(now).toISOString(),
            jobs: items.map((i) => i.ref),
            source_offsets: [
              {
                topic: topics.jobs,
                partition: lane.partition,
                from_offset: from.toString(),
                to_offset: last.toString(),
              },
            ],
          };
    let intentPartition: number | undefined;
    try {
      const producer = await producerOf(lane);
      await inTransaction(producer, async (tx) => {
        if (intent) {
          const [meta] = await tx.send({
            topic: topics.batches,
            compression: CompressionTypes.GZIP,
            messages: [{ key: intentId, value: encodeStored(intent) }],
          });
          intentPartition = meta?.partition;
        }
        await sendSplit(tx, [
          { topic: topics.status, messages: lazyMap(items, (i) => batchedStatus(i.ref, now)) },
          {
            topic: topics.dlq,
            messages: poison.map((p) =>
              deadLetter(
                {
                  key: p.message.key,
                  value: p.message.value,
                  headers: p.message.headers ?? {},
                  topic: topics.jobs,
                  partition: lane.partition,
                  offset: p.message.offset,
                },
                { class: 'invalid', message: p.reason, retriable: false },
                now,
              ),
            ),
          },
        ]);
        await tx.sendOffsets({
          consumerGroupId: config.groupId,
          topics: [
            {
              topic: topics.jobs,
              partitions: [{ partition: lane.partition, offset: (last + 1n).toString() }],
            },
          ],
        });
      });
    } catch (error) {
      if (isFenced(error)) {
        logger.warn(
          { partition: lane.partition },
          'jobs partition taken over; dropping its buffer',
        );
        drop(lane);
        return;
      }
      // A commit or abort that failed leaves the kafkajs producer stuck in COMMITTING/ABORTING
      // ("Cannot call beginTransaction in state COMMITTING" on every later flush, found by the
      // chaos suite after a broker restart): the next flush fences a new producer with the same
      // transactional id, and the broker completes or aborts the transaction left open. If the
      // commit did go through, the retried flush writes the same intent id (from the same source
      // offsets) again, which the owner recognises.
      const broken = lane.producer;
      lane.producer = undefined;
      void broken?.then((p) => p.disconnect()).catch(() => undefined);
      throw error;
    }
    lane.buffer.take();
    lane.poison = [];
    lane.from = undefined;
    lane.last = undefined;
    if (poison.length > 0)
      metrics.dlqRecords.inc(
        { topic: topics.dlq, error_class: 'invalid', stage: 'source' },
        poison.length,
      );
    if (!intent || intentPartition === undefined) return;
    metrics.intents.inc();
    logger.info(
      { intentId, jobs: items.length, partition: intentPartition },
      'packing intent committed',
    );
    failpoint(FAILPOINTS.afterIntent);
    inFlight.add(intentId);
    try {
      await createAndRecord(
        intent,
        intentPartition,
        items.map((i) => i.request),
      );
    } catch (error) {
      // The intent is committed: the owner of its partition reconciles it (adopting the batch if
      // the API made one), at once when that owner is this process.
      abandoned.add(intentId);
      // Failures only, so few; bounded all the same (the oldest are long reconciled).
      if (abandoned.size > 10_000) abandoned.delete(abandoned.values().next().value ?? intentId);
      logger.warn(
        { intentId, err: error },
        'batch not created for the intent; left to reconciliation',
      );
    } finally {
      inFlight.delete(intentId);
      releaseHeapAfter(items.length, requestBytes);
    }
  };

  /**
   * After a large batch, once the packing step's locals (requests, refs, the intent) are gone:
   * scheduled from here, not from inside `flush`, whose closures' context holds the intent.
   */
  const releaseHeapAfter = (requests: number, bytes: number): void => {
    if (!heap.available) return;
    const now = clock();
    if (!isReleaseDue({ requests, bytes, sinceLastMs: now - lastRelease }, RELEASE_HEAP_AFTER)) {
      return;
    }
    lastRelease = now;
    setImmediate(() => {
      if (stopping) return;
      const ms = heap.release() ?? 0;
      logger.info({ ms: Math.round(ms), requests }, 'heap pages of the packing step released');
    });
  };

  const createAndRecord = async (
    intent: StoredIntent,
    partition: number,
    requests: string[],
  ): Promise<void> => {
    const started = clock();
    // `messages.batches.create`, with the body streamed from the requests' JSON.
    const batch = await client.post<MessageBatch>('/v1/messages/batches', {
      body: requestsBody(requests),
      headers: { 'content-type': 'application/json' },
      // Past half the grace the owner may reconcile this intent: give up before that.
      timeout: Math.max(1000, Math.floor(config.reconcileGraceMs / 2)),
      maxRetries: 0,
    });
    failpoint(FAILPOINTS.afterCreate);
    if (clock() - started > config.reconcileGraceMs / 2) {
      logger.warn({ batchId: batch.id }, 'batch created late; left to reconciliation to adopt');
      return;
    }
    const record: StoredBatch = {
      schema_version: 1,
      type: 'batch',
      batch_id: batch.id,
      intent_id: intent.intent_id,
      created_at: batch.created_at,
      expires_at: batch.expires_at,
      job_ids: intent.jobs.map((j) => j.job_id),
    };
    await deps.producer.send({
      topic: topics.batches,
      compression: CompressionTypes.GZIP,
      messages: [{ key: batch.id, value: encodeStored(record), partition }],
    });
    metrics.batchesCreated.inc();
    logger.info(
      { intentId: intent.intent_id, batchId: batch.id, requests: requests.length },
      'batch created',
    );
    failpoint(FAILPOINTS.afterRecord);
  };

  const take = async (lane: Lane, message: KafkaMessage): Promise<void> => {
    const offset = BigInt(message.offset);
    if (offset < lane.seenUpTo) return;
    lane.seenUpTo = offset + 1n;
    const track = () => {
      if (lane.from === undefined) {
        lane.from = offset;
        lane.rangeSince = clock();
      }
      lane.last = offset;
    };
    const parsed = message.value
      ? (() => {
          try {
            return safeParse(
              jobRecordSchema,
              JSON.parse(message.value.toString('utf8')) as unknown,
            );
          } catch (error) {
            return { ok: false as const, error };
          }
        })()
      : { ok: false as const, error: new Error('empty value') };
    if (!parsed.ok) {
      track();
      lane.poison.push({
        message,
        reason: `not a job record: ${String(parsed.error).slice(0, 500)}`,
      });
      return;
    }
    const job = parsed.value;
    if (job.mode !== 'batch') {
      track();
      return;
    }
    const request = JSON.stringify(batchRequestOf(job, config));
    const bytes = Buffer.byteLength(request, 'utf8');
    if (lane.buffer.wouldOverflow(bytes)) await flush(lane);
    if (lane.dropped) return;
    track();
    const full = lane.buffer.add(
      { ref: refOf(job, message, lane.partition), request },
      bytes,
      clock(),
    );
    if (full) await flush(lane);
  };

  const sweepAged = () => {
    const now = clock();
    for (const lane of lanes.values()) {
      const due =
        lane.buffer.isDue(now) ||
        (lane.buffer.items.length === 0 &&
          lane.from !== undefined &&
          now - lane.rangeSince >= config.packing.maxAgeMs);
      if (!due) continue;
      void onLane(lane, async () => {
        const again = clock();
        if (
          lane.buffer.isDue(again) ||
          (lane.buffer.items.length === 0 && lane.from !== undefined)
        ) {
          await flush(lane);
        }
      }).catch((error: unknown) =>
        logger.warn({ partition: lane.partition, err: error }, 'flush failed; retried'),
      );
    }
  };

  return {
    async start() {
      consumer = kafka.consumer({
        groupId: config.groupId,
        sessionTimeout: config.sessionTimeoutMs,
        heartbeatInterval: Math.min(3000, Math.floor(config.sessionTimeoutMs / 3)),
        readUncommitted: false,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: 200,
      });
      const c = consumer;
      c.on(c.events.GROUP_JOIN, ({ payload }) => {
        isRunning = true;
        const assigned = new Set(payload.memberAssignment[topics.jobs] ?? []);
        for (const lane of [...lanes.values()]) if (!assigned.has(lane.partition)) drop(lane);
        logger.info({ assigned: [...assigned] }, 'jobs partitions assigned');
      });
      c.on(c.events.CRASH, () => {
        isRunning = false;
      });
      const run = async () => {
        await c.connect();
        await c.subscribe({ topic: topics.jobs, fromBeginning: true });
        await c.run({
          autoCommit: false,
          partitionsConsumedConcurrently: 4,
          eachBatch: async ({ batch, heartbeat, isRunning: alive, isStale }) => {
            const lane = laneOf(batch.partition);
            // A flush (transaction + create call) can outlast the session timeout: keep beating.
            const beat = setInterval(() => void heartbeat().catch(() => undefined), 3000);
            try {
              await onLane(lane, async () => {
                for (const message of batch.messages) {
                  if (!alive() || isStale() || lane.dropped) break;
                  await take(lane, message);
                }
              });
            } finally {
              clearInterval(beat);
            }
            await heartbeat();
          },
        });
      };
      // A crash kafkajs does not restart from (e.g. no group coordinator right after a broker
      // restart) would leave every batch job unpacked: start the consumer again.
      keeper = await startKeptRunning(c, {
        start: run,
        stopping: () => stopping,
        ...restartLogging(logger, 'jobs (packer)'),
      });
      isRunning = true;
      timer = setInterval(
        sweepAged,
        Math.max(10, Math.min(1000, Math.floor(config.packing.maxAgeMs / 4))),
      );
      timer.unref();
    },
    inFlight: (intentId) => inFlight.has(intentId),
    abandoned: (intentId) => abandoned.has(intentId),
    pendingRequests: () => [...lanes.values()].reduce((n, l) => n + l.buffer.items.length, 0),
    running: () => isRunning && !stopping,
    async stop() {
      stopping = true;
      if (timer) clearInterval(timer);
      keeper?.dispose();
      await consumer?.disconnect().catch(() => undefined);
      const all = [...lanes.values()];
      for (const lane of all) drop(lane);
      await Promise.all(all.map((l) => l.chain));
      await Promise.all(
        all.map(async (l) => (await l.producer?.catch(() => undefined))?.disconnect()),
      ).catch(() => undefined);
    },
  };
}
