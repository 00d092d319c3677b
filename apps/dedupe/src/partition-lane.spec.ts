import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createStateStore,
  resetFailpoints,
  topicNames,
  type ChangelogReader,
  type StateStore,
} from '@claude-pipeline/kafka';
import type { DedupeEntry } from '@claude-pipeline/schemas';
import { sampleEventRecord, sampleJobRecord } from '@claude-pipeline/schemas/testing';
import { createLogger, createMetricsRegistry } from '@claude-pipeline/telemetry';
import type { Kafka, Message, Offsets, ProducerBatch, RecordMetadata } from 'kafkajs';
import { PartitionFencedError } from './errors.ts';
import { createDedupeMetrics } from './metrics.ts';
import { createPartitionLane, type PartitionLane } from './partition-lane.ts';
import type { TransactionalProducerPort, TransactionPort } from './transaction.port.ts';

const names = topicNames('unit');
const PARTITION = 1;
const NOW = Date.parse('2025-01-15T12:00:00.000Z');

interface LogEntry {
  message: Message;
  txn: number;
  state: 'open' | 'committed' | 'aborted';
}

/**
 * A broker in memory, as far as a lane sees one: transactional producers whose records become
 * visible on commit, committed group offsets, and a changelog reader over committed records.
 */
function fakeBroker() {
  const logs = new Map<string, LogEntry[]>();
  const committedOffsets: Offsets[] = [];
  const faults: { commit?: Error; sendBatch?: Error } = {};
  let txns = 0;
  let producersCreated = 0;
  const log = (topic: string, partition: number) => {
    const id = `${topic}/${partition}`;
    let entries = logs.get(id);
    if (!entries) logs.set(id, (entries = []));
    return entries;
  };
  const committed = (topic: string, partition = PARTITION) =>
    log(topic, partition)
      .filter((e) => e.state === 'committed')
      .map((e) => e.message);

  const producer = (): TransactionalProducerPort => {
    producersCreated += 1;
    return {
      async transaction(): Promise<TransactionPort> {
        const txn = ++txns;
        const mine: LogEntry[] = [];
        let offsets: Offsets | undefined;
        const end = (state: 'committed' | 'aborted') => {
          for (const e of mine) e.state = state;
        };
        return {
          async sendBatch({ topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> {
            if (faults.sendBatch) throw faults.sendBatch;
            const metadata: RecordMetadata[] = [];
            for (const { topic, messages } of topicMessages) {
              const byPartition = new Map<number, Message[]>();
              for (const m of messages) {
                const p = m.partition ?? 0;
                byPartition.set(p, [...(byPartition.get(p) ?? []), m]);
              }
              for (const [partition, list] of byPartition) {
                const entries = log(topic, partition);
                metadata.push({
                  topicName: topic,
                  partition,
                  errorCode: 0,
                  baseOffset: String(entries.length),
                });
                for (const message of list) {
                  const entry: LogEntry = { message, txn, state: 'open' };
                  entries.push(entry);
                  mine.push(entry);
                }
              }
            }
            return metadata;
          },
          async sendOffsets(o) {
            offsets = o;
          },
          async commit() {
            if (faults.commit) throw faults.commit;
            end('committed');
            if (offsets) committedOffsets.push(offsets);
          },
          async abort() {
            end('aborted');
          },
        };
      },
      disconnect: async () => undefined,
    };
  };

  const reader = (topic: string): ChangelogReader => ({
    topic,
    async offsets(partition) {
      return { low: 0, end: log(topic, partition).length };
    },
    async read({ partition, fromOffset, toOffset, onBatch }) {
      const records = log(topic, partition)
        .slice(fromOffset, toOffset)
        .filter((e) => e.state === 'committed')
        .map((e) => ({
          key: e.message.key as Buffer,
          value: (e.message.value as Buffer | null) ?? null,
          headers: e.message.headers,
        }));
      if (records.length > 0) await onBatch({ records, nextOffset: toOffset });
    },
    close: async () => undefined,
  });

  return {
    producer,
    reader,
    committed,
    committedOffsets,
    faults,
    get producersCreated() {
      return producersCreated;
    },
    get transactions() {
      return txns;
    },
  };
}

function eventBytes(tenant: string, key: string): Buffer {
  return Buffer.from(
    JSON.stringify(
      sampleEventRecord({
        tenant,
        idempotency_key: key,
        job: sampleJobRecord({ tenant, job_id: `${tenant}_${key}` }),
      }),
    ),
  );
}

describe('partition lane', () => {
  let dir: string;
  let broker: ReturnType<typeof fakeBroker>;
  let store: StateStore<DedupeEntry>;
  let lane: PartitionLane;
  let generation: number;
  let clock: number;
  let nextOffset: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lane-spec-'));
    broker = fakeBroker();
    generation = 1;
    clock = NOW;
    nextOffset = 0;
    store = createStateStore<DedupeEntry>({
      kafka: {} as Kafka,
      changelogTopic: names.dedupeChangelog,
      dir,
      name: 'dedupe',
      reader: broker.reader(names.dedupeChangelog),
      clock: () => clock,
    });
    lane = createPartitionLane({
      partition: PARTITION,
      topics: names,
      groupId: 'unit.dedupe',
      store,
      producers: async () => broker.producer(),
      metrics: createDedupeMetrics(
        createMetricsRegistry({ service: 'dedupe', defaultMetrics: false }),
      ),
      logger: createLogger({ service: 'dedupe', level: 'silent' }),
      windowMs: 60_000,
      maxBatchRecords: 3,
      expiryBatchSize: 2,
      currentGeneration: () => generation,
      clock: () => clock,
    });
  });

  afterEach(async () => {
    resetFailpoints({});
    await store.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  const records = (...values: (Buffer | null)[]) =>
    values.map((value) => ({ offset: String(nextOffset++), key: null, value, headers: {} }));

  async function process(...values: (Buffer | null)[]) {
    const committed: string[] = [];
    const messages = records(...values);
    const outcome = await lane.processBatch({
      messages,
      generation,
      lastOffset: messages[messages.length - 1]!.offset,
      highWatermark: String(nextOffset),
      onCommitted: (offset) => committed.push(offset),
    });
    return { outcome, committed };
  }

  const jobKeys = () => broker.committed(names.jobs, 0).map((m) => String(m.key));

  it('commits jobs, statuses, changelog entries and the offset in one transaction per chunk', async () => {
    const a = eventBytes('acme', 'a');
    const { outcome, committed } = await process(
      a,
      a,
      eventBytes('globex', 'a'),
      a,
      eventBytes('acme', 'b'),
    );
    expect(outcome).toBe('done');
    // maxBatchRecords 3: two transactions, each resolving its last offset.
    expect(committed).toEqual(['2', '4']);
    expect(broker.transactions).toBe(2);
    expect(jobKeys()).toEqual(['acme_a', 'globex_a', 'acme_b']);
    expect(broker.committed(names.status, 0)).toHaveLength(3);
    expect(broker.committed(names.dedupeChangelog).map((m) => String(m.key))).toEqual([
      'acme:a',
      'globex:a',
      'acme:b',
    ]);
    expect(broker.committedOffsets.map((o) => o.topics[0]!.partitions[0])).toEqual([
      { partition: PARTITION, offset: '3' },
      { partition: PARTITION, offset: '5' },
    ]);
    expect(store.get(PARTITION, 'acme:a')?.job_id).toBe('acme_a');
  });

  it('drops repeats of keys committed by an earlier batch', async () => {
    await process(eventBytes('acme', 'a'));
    await process(eventBytes('acme', 'a'), eventBytes('acme', 'a'));
    expect(jobKeys()).toEqual(['acme_a']);
    expect(broker.committedOffsets).toHaveLength(2);
  });

  it('dead-letters poison in the same transaction', async () => {
    await process(Buffer.from('nope'), eventBytes('acme', 'a'), null);
    expect(jobKeys()).toEqual(['acme_a']);
    expect(broker.committed(names.dlq('dedupe'), 0)).toHaveLength(2);
  });

  it('rolls a failed transaction back, re-prepares with a new producer and then succeeds', async () => {
    broker.faults.commit = new Error('broker away');
    await expect(process(eventBytes('acme', 'a'))).rejects.toThrow('broker away');
    expect(jobKeys()).toEqual([]);
    expect(store.isReady(PARTITION)).toBe(true);
    expect(store.get(PARTITION, 'acme:a')).toBeUndefined();
    expect(lane.isPreparedFor(generation)).toBe(false);

    delete broker.faults.commit;
    nextOffset = 0; // fetched again
    await process(eventBytes('acme', 'a'));
    expect(jobKeys()).toEqual(['acme_a']);
    expect(broker.producersCreated).toBe(2);
  });

  it('reports a fenced producer as PartitionFencedError', async () => {
    broker.faults.sendBatch = Object.assign(new Error('fenced'), {
      type: 'INVALID_PRODUCER_EPOCH',
    });
    await expect(process(eventBytes('acme', 'a'))).rejects.toBeInstanceOf(PartitionFencedError);
  });

  it('aborts when the failpoint inside the transaction fires', async () => {
    resetFailpoints({ PIPELINE_FAILPOINTS: 'dedupe.after-produce-before-commit=throw' });
    await expect(process(eventBytes('acme', 'a'))).rejects.toThrow(/failpoint/);
    expect(jobKeys()).toEqual([]);
  });

  it('processes nothing of a batch fetched in an older generation', async () => {
    await lane.prepare(generation);
    generation = 2;
    const messages = records(eventBytes('acme', 'a'));
    const outcome = await lane.processBatch({
      messages,
      generation: 1,
      lastOffset: '0',
      highWatermark: '1',
      onCommitted: () => undefined,
    });
    expect(outcome).toBe('stale');
    expect(jobKeys()).toEqual([]);
  });

  it('tombstones expired keys in transactions, after which a repeat is a new job', async () => {
    await process(eventBytes('acme', 'a'), eventBytes('acme', 'b'), eventBytes('acme', 'c'));
    clock += 60_001;
    expect(await lane.sweepExpired(generation)).toBe(3);
    const tombstones = broker
      .committed(names.dedupeChangelog)
      .filter((m) => m.value === null)
      .map((m) => String(m.key));
    expect(tombstones.sort()).toEqual(['acme:a', 'acme:b', 'acme:c']);
    expect(store.size(PARTITION)).toBe(0);
    await process(eventBytes('acme', 'a'));
    expect(jobKeys()).toEqual(['acme_a', 'acme_b', 'acme_c', 'acme_a']);
  });

  it('restores what an earlier owner committed when it prepares', async () => {
    await process(eventBytes('acme', 'a'));
    await lane.release();
    // Another owner, same disk: restores the tail from the changelog before processing.
    generation = 2;
    const other = createPartitionLane({
      partition: PARTITION,
      topics: names,
      groupId: 'unit.dedupe',
      store,
      producers: async () => broker.producer(),
      metrics: createDedupeMetrics(
        createMetricsRegistry({ service: 'dedupe', defaultMetrics: false }),
      ),
      logger: createLogger({ service: 'dedupe', level: 'silent' }),
      windowMs: 60_000,
      maxBatchRecords: 3,
      expiryBatchSize: 2,
      currentGeneration: () => generation,
      clock: () => clock,
    });
    lane = other;
    await process(eventBytes('acme', 'a'));
    expect(jobKeys()).toEqual(['acme_a']);
  });
});
