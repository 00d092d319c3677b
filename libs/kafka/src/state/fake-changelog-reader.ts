import type { IHeaders } from 'kafkajs';
import type { ChangelogReader, ChangelogReadRequest } from './changelog-reader.ts';

export interface FakeLogRecord {
  offset: number;
  key: string;
  /** `null` is a tombstone. */
  value: string | null;
  headers?: IHeaders;
}

export interface FakeChangelogReader extends ChangelogReader {
  /** Committed records per partition, in offset order (gaps allowed: markers, aborted data). */
  readonly log: Map<number, FakeLogRecord[]>;
  /** Log start and end per partition; default: 0 and last offset + 1. */
  readonly bounds: Map<number, { low: number; end: number }>;
  /** Every read request, in order. */
  readonly reads: Omit<ChangelogReadRequest, 'onBatch' | 'signal'>[];
  /** When set, `read` waits for this before delivering anything (abort tests). */
  gate: Promise<void> | undefined;
  append(partition: number, record: Omit<FakeLogRecord, 'offset'> & { offset?: number }): void;
}

/**
 * A changelog reader over an in-memory log, for unit tests: batches of `batchSize` records, with
 * the offsets semantics of the Kafka reader (records in [from, to), every batch moves the
 * position, the end is reached even when the last offsets hold no record).
 */
export function createFakeChangelogReader(topic = 'changelog', batchSize = 3): FakeChangelogReader {
  const log = new Map<number, FakeLogRecord[]>();
  const bounds = new Map<number, { low: number; end: number }>();
  const reads: FakeChangelogReader['reads'] = [];
  const fake: FakeChangelogReader = {
    topic,
    log,
    bounds,
    reads,
    gate: undefined,
    append(partition, record) {
      const records = log.get(partition) ?? [];
      const last = records[records.length - 1];
      const offset = record.offset ?? (last ? last.offset + 1 : 0);
      records.push({ ...record, offset });
      log.set(partition, records);
    },
    async offsets(partition) {
      const known = bounds.get(partition);
      if (known) return known;
      const records = log.get(partition) ?? [];
      const last = records[records.length - 1];
      return { low: records[0]?.offset ?? 0, end: last ? last.offset + 1 : 0 };
    },
    async read({ partition, fromOffset, toOffset, onBatch, signal }) {
      reads.push({ partition, fromOffset, toOffset });
      signal?.throwIfAborted();
      if (fake.gate) {
        await Promise.race([
          fake.gate,
          new Promise((_, reject) =>
            signal?.addEventListener('abort', () => reject(new Error('aborted'))),
          ),
        ]);
      }
      const records = (log.get(partition) ?? []).filter(
        (r) => r.offset >= fromOffset && r.offset < toOffset,
      );
      for (let i = 0; i < records.length; i += batchSize) {
        signal?.throwIfAborted();
        const batch = records.slice(i, i + batchSize);
        const after = records[i + batchSize];
        // A batch covers every offset up to the next record (or the end): gaps hold no record.
        const next = after === undefined ? toOffset : after.offset;
        await onBatch({
          records: batch.map((r) => ({
            key: Buffer.from(r.key),
            value: r.value === null ? null : Buffer.from(r.value),
            headers: r.headers,
          })),
          nextOffset: next,
        });
      }
    },
    close: () => Promise.resolve(),
  };
  return fake;
}
