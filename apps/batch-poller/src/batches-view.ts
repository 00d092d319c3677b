import type { HeldIntent, HeldRecord, StoredBatch } from './stored.ts';

/**
 * The state of `pipeline.batches`, rebuilt by reading the compacted topic from its beginning
 * (like a changelog restore) and kept current by following it. Pure: the Kafka reader feeds it.
 *
 * Every record of one intent (the intent, its batch records) is on the intent's partition, so log
 * order is the same for every reader: the FIRST batch record of an intent is its batch; a later
 * one (two creations raced) is a duplicate, canceled without emitting anything.
 */
export interface IntentEntry {
  readonly intent: HeldIntent;
  readonly partition: number;
  /** Batch ids recorded for the intent, in log order (the first one is the intent's batch). */
  readonly batchIds: string[];
  /** Epoch ms when this reader first saw it. */
  readonly seenAt: number;
}

export interface BatchEntry {
  readonly batch: StoredBatch;
  readonly partition: number;
}

export interface BatchesView {
  apply(partition: number, key: string, value: HeldRecord | null, now: number): void;
  intent(intentId: string): IntentEntry | undefined;
  batch(batchId: string): BatchEntry | undefined;
  intents(partition?: number): IntentEntry[];
  batches(partition?: number): BatchEntry[];
  /** Whether this batch is the one of its intent (false: a duplicate or its intent is gone). */
  isChosen(batchId: string): boolean;
  /** Every batch id a record names (all partitions). */
  namedBatchIds(): ReadonlySet<string>;
}

export function createBatchesView(): BatchesView {
  const intents = new Map<string, IntentEntry>();
  const batches = new Map<string, BatchEntry>();
  // key → what it holds, so a tombstone knows what to remove.
  const kinds = new Map<string, 'intent' | 'batch'>();

  const removeKey = (key: string) => {
    const kind = kinds.get(key);
    kinds.delete(key);
    if (kind === 'intent') intents.delete(key);
    if (kind === 'batch') {
      const entry = batches.get(key);
      batches.delete(key);
      const owner = entry ? intents.get(entry.batch.intent_id) : undefined;
      if (owner) {
        const index = owner.batchIds.indexOf(key);
        if (index >= 0) owner.batchIds.splice(index, 1);
      }
    }
  };

  return {
    apply(partition, key, value, now) {
      if (value === null) {
        removeKey(key);
        return;
      }
      if (value.type === 'intent') {
        const existing = intents.get(key);
        kinds.set(key, 'intent');
        intents.set(key, {
          intent: value,
          partition,
          batchIds: existing?.batchIds ?? [],
          seenAt: existing?.seenAt ?? now,
        });
        // Batch records seen before their intent (never in one partition's order, but a
        // compacted log keeps only the last record of a key): link them now.
        for (const [batchId, entry] of batches) {
          const ids = intents.get(key)?.batchIds;
          if (entry.batch.intent_id === key && ids && !ids.includes(batchId)) ids.push(batchId);
        }
        return;
      }
      kinds.set(key, 'batch');
      batches.set(key, { batch: value, partition });
      const owner = intents.get(value.intent_id);
      if (owner && !owner.batchIds.includes(key)) owner.batchIds.push(key);
    },
    intent: (id) => intents.get(id),
    batch: (id) => batches.get(id),
    intents: (partition) =>
      [...intents.values()].filter((e) => partition === undefined || e.partition === partition),
    batches: (partition) =>
      [...batches.values()].filter((e) => partition === undefined || e.partition === partition),
    isChosen(batchId) {
      const entry = batches.get(batchId);
      if (!entry) return false;
      return intents.get(entry.batch.intent_id)?.batchIds[0] === batchId;
    },
    namedBatchIds: () => new Set(batches.keys()),
  };
}
