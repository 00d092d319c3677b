import { startKeptRunning, restartLogging } from '@claude-pipeline/kafka';
import type { Logger } from '@claude-pipeline/telemetry';
import kafkajs, { type Admin, type Consumer, type EachBatchPayload, type Kafka } from 'kafkajs';
import type { StreamHub } from './stream-hub.ts';

/**
 * This replica's readers of `pipeline.stream` (kafkajs has no manual `assign()`, so each is a
 * consumer group of its own, with every partition):
 *
 * - the live tail, from the end of each partition as it was at start, hands every record to
 *   the hub, which keeps only keys with open clients;
 * - the replay reader, paused except while it scans a partition for jobs that just got their
 *   first client: from the offset of a time before the job's first record (or the earliest
 *   offset still retained) to the partition's end as read after the job was registered. Scans
 *   asked for while one runs are merged into the next one, so N clients arriving together
 *   cost one scan per partition, not N.
 *
 * Both hand records to the same hub; the per-job fold drops what comes twice.
 */
export interface StreamReader {
  /** The replay of a job: resolves when every record before the call is handed over. */
  replay(jobId: string, sinceMs: number | undefined): Promise<void>;
  /** False once kafkajs gave up on a reader. */
  readonly running: boolean;
  stop(): Promise<void>;
}

export interface StreamReaderOptions {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  /** Base of this replica's two group ids (`.tail`, `.replay` appended). */
  groupId: string;
  hub: Pick<StreamHub, 'deliver'>;
  logger: Logger;
  /** Clock skew and produce delay allowed before a job's first record, ms. */
  sinceMarginMs?: number;
}

const DEFAULT_SINCE_MARGIN_MS = 5 * 60_000; // 5 minutes

// kafkajs is CommonJS and builds its exports with a spread: take `Partitioners` from the default.
const { Partitioners } = kafkajs;
const murmur2 = Partitioners.DefaultPartitioner();

/**
 * The partition the worker's producer puts a job id on: the Java client's murmur2 partitioner
 * (kafkajs `DefaultPartitioner`), which every producer of our keyed topics uses.
 */
export function partitionOfKey(key: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return murmur2({ topic: '', partitionMetadata, message: { key, value: null } });
}

interface Scan {
  /** Next offset the scan needs handed over; done once it reaches `target`. */
  position: bigint;
  target: bigint;
  /** Set by the first batch after the seek (which may start later: retention). */
  started: boolean;
  waiters: { resolve: () => void }[];
}

interface PendingReplay {
  from: bigint;
  target: bigint;
  resolve: () => void;
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

export async function startStreamReader(options: StreamReaderOptions): Promise<StreamReader> {
  const { kafka, admin, topic, hub, logger } = options;
  const margin = options.sinceMarginMs ?? DEFAULT_SINCE_MARGIN_MS;
  const initial = await admin.fetchTopicOffsets(topic);
  const partitions = initial.length;
  let stopping = false;
  /** Consumers kafkajs stopped for good, until they joined their group again. */
  const down = new Set<string>();

  // High watermarks for replays, one request for every replay asked for in the same tick; each
  // request is sent after every replay that joins it was registered.
  let nextHighs: Promise<Map<number, bigint>> | undefined;
  const highWatermarks = (): Promise<Map<number, bigint>> => {
    nextHighs ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      nextHighs = undefined;
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    });
    return nextHighs;
  };
  // Start offsets by time: a lookup per whole minute in flight, shared.
  const byTime = new Map<number, Promise<Map<number, bigint>>>();
  const offsetsAt = (timestamp: number): Promise<Map<number, bigint>> => {
    const minute = Math.floor(timestamp / 60_000) * 60_000;
    let lookup = byTime.get(minute);
    if (lookup === undefined) {
      lookup = admin
        .fetchTopicOffsetsByTimestamp(topic, minute)
        .then((offsets) => new Map(offsets.map((o) => [o.partition, BigInt(o.offset)])))
        .finally(() => byTime.delete(minute));
      byTime.set(minute, lookup);
    }
    return lookup;
  };
  const lowWatermarks = async (): Promise<Map<number, bigint>> => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
  };

  const onCrash =
    (name: string) =>
    ({ payload }: { payload: { error: Error; restart: boolean } }) => {
      logger.error({ err: payload.error, restart: payload.restart }, `stream ${name} crashed`);
      if (!payload.restart) down.add(name);
    };

  const handOver = async ({ batch, isStale }: EachBatchPayload): Promise<boolean> => {
    if (isStale()) return false;
    for (const message of batch.messages) hub.deliver(message.key, message.value);
    return true;
  };

  // --- live tail ---------------------------------------------------------------------------
  const tail: Consumer = kafka.consumer({
    groupId: `${options.groupId}.tail`,
    // The broker answers a fetch as soon as a record is there; this only bounds an idle wait.
    maxWaitTimeInMs: 500,
    readUncommitted: false,
    retry: { restartOnFailure: async () => !stopping },
  });
  tail.on(tail.events.CRASH, onCrash('tail'));
  // Where the tail is, per partition: first the ends read above, not "latest" whenever the group
  // happens to join (a replay registered from now on reads up to an end at least as far, so
  // nothing falls between). No offset commits: kafkajs would commit after every batch, one
  // broker round trip in the way of each delta. A rejoin (after a crash) seeks back here.
  const tailPositions = new Map(initial.map(({ partition, high }) => [partition, high]));
  const seekTail = () => {
    for (const [partition, offset] of tailPositions) tail.seek({ topic, partition, offset });
  };
  tail.on(tail.events.GROUP_JOIN, () => {
    down.delete('tail');
    seekTail();
  });
  tail.on(tail.events.END_BATCH_PROCESS, ({ payload }) => {
    tailPositions.set(payload.partition, (BigInt(payload.lastOffset) + 1n).toString());
  });
  const runTail = async () => {
    await tail.connect();
    await tail.subscribe({ topic, fromBeginning: false });
    await tail.run({
      autoCommit: false,
      eachBatch: async (payload) => {
        await handOver(payload);
      },
    });
    seekTail();
  };
  // kafkajs does not restart a consumer after some crashes: without this, live streams stop.
  const tailKeeper = await startKeptRunning(tail, {
    start: runTail,
    stopping: () => stopping,
    ...restartLogging(logger, 'stream tail'),
  });

  // --- replay reader -----------------------------------------------------------------------
  const scans = new Map<number, Scan>();
  const queued = new Map<number, PendingReplay[]>();
  const replay: Consumer = kafka.consumer({
    groupId: `${options.groupId}.replay`,
    maxWaitTimeInMs: 250,
    readUncommitted: false,
    retry: { restartOnFailure: async () => !stopping },
  });
  replay.on(replay.events.CRASH, onCrash('replay reader'));

  const allPartitions = Array.from({ length: partitions }, (_, p) => p);
  const pauseIdle = () => {
    const idle = allPartitions.filter((p) => !scans.has(p));
    if (idle.length > 0) replay.pause([{ topic, partitions: idle }]);
  };

  const startNext = (partition: number) => {
    if (scans.has(partition)) return;
    const pending = queued.get(partition) ?? [];
    queued.delete(partition);
    if (pending.length === 0) return;
    const from = pending.reduce((m, r) => (r.from < m ? r.from : m), pending[0]?.from ?? 0n);
    const target = pending.reduce((m, r) => max(m, r.target), 0n);
    scans.set(partition, { position: from, target, started: false, waiters: pending });
    replay.seek({ topic, partition, offset: from.toString() });
    replay.resume([{ topic, partitions: [partition] }]);
  };

  const progress = (partition: number, firstOffset: bigint, nextOffset: bigint) => {
    const scan = scans.get(partition);
    if (scan === undefined) return;
    // Only what joins what was handed over counts (a batch from before a seek does not).
    if (!scan.started || firstOffset <= scan.position) {
      scan.started = true;
      scan.position = max(scan.position, nextOffset);
    }
    if (scan.position < scan.target) return;
    scans.delete(partition);
    replay.pause([{ topic, partitions: [partition] }]);
    for (const waiter of scan.waiters) waiter.resolve();
    startNext(partition);
  };

  // After a (re)join, kafkajs forgets pauses and seeks: pause the idle partitions again and
  // restart the scans that were running.
  replay.on(replay.events.GROUP_JOIN, () => {
    down.delete('replay reader');
    pauseIdle();
    for (const [partition, scan] of scans) {
      scan.started = false;
      replay.seek({ topic, partition, offset: scan.position.toString() });
    }
  });
  // A batch of only transaction markers or aborted records reaches no eachBatch, but moves on.
  replay.on(replay.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.batchSize > 0 || payload.firstOffset === null) return;
    progress(payload.partition, BigInt(payload.firstOffset), BigInt(payload.lastOffset) + 1n);
  });
  const runReplay = async () => {
    await replay.connect();
    await replay.subscribe({ topic, fromBeginning: true });
    await replay.run({
      autoCommit: false,
      eachBatch: async (payload) => {
        if (!(await handOver(payload))) return;
        const { batch } = payload;
        const first = batch.firstOffset();
        if (first === null) return;
        progress(batch.partition, BigInt(first), BigInt(batch.lastOffset()) + 1n);
      },
    });
    pauseIdle();
  };
  const replayKeeper = await startKeptRunning(replay, {
    start: runReplay,
    stopping: () => stopping,
    ...restartLogging(logger, 'stream replay reader'),
  });

  return {
    get running() {
      return !stopping && down.size === 0;
    },
    async replay(jobId, sinceMs) {
      const partition = partitionOfKey(jobId, partitions);
      const [starts, highs] = await Promise.all([
        sinceMs === undefined ? lowWatermarks() : offsetsAt(sinceMs - margin),
        highWatermarks(),
      ]);
      const target = highs.get(partition) ?? 0n;
      // No record at or after the time: nothing of the job before the target either.
      const start = starts.get(partition);
      const from = start === undefined || start < 0n ? target : start;
      if (from >= target) return;
      await new Promise<void>((resolve) => {
        const list = queued.get(partition) ?? [];
        list.push({ from, target, resolve });
        queued.set(partition, list);
        startNext(partition);
      });
    },
    async stop() {
      stopping = true;
      tailKeeper.dispose();
      replayKeeper.dispose();
      await Promise.all([tail.disconnect(), replay.disconnect()]);
      // The groups are this replica's alone and worthless after it: do not leave them behind.
      await admin
        .deleteGroups([`${options.groupId}.tail`, `${options.groupId}.replay`])
        .catch((error: unknown) => logger.debug({ err: error }, 'stream groups not deleted'));
      for (const scan of scans.values()) for (const waiter of scan.waiters) waiter.resolve();
    },
  };
}
