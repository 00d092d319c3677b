import type { Message, Producer, Transaction } from 'kafkajs';
import { recordBytes, sendSplit, SPLIT_BYTES } from '@claude-pipeline/kafka';

/**
 * The result and status records of a batch's lines, produced as they are built instead of held
 * until a chunk is complete: one Kafka transaction spans a chunk of lines (committed with the
 * progress record), and inside it the records go out in produce requests of about `maxBytes`
 * per topic, at most one request in flight while the next is being built. So the records alive
 * at any time are bounded (`maxHeldBytes`: about two requests' worth), whatever the chunk size,
 * and building overlaps the broker round trip.
 */
export interface Emission {
  /** Adds one line's records; resolves once they are accepted (may wait for the request in flight). */
  add(result: Message, status: Message): Promise<void>;
  /**
   * Sends what is left, then `last` (more records of the same transaction, e.g. the progress
   * record), and commits. A new transaction begins with the next `add`.
   */
  commit(last?: (tx: Pick<Transaction, 'send' | 'sendBatch'>) => Promise<void>): Promise<void>;
  /** Aborts the open transaction, if any (after an error). */
  abort(): Promise<void>;
  /** Records built and not yet acknowledged by the broker (pending + in flight). */
  held(): number;
  /** Whether a transaction is open. */
  open(): boolean;
}

export interface EmissionOptions {
  producer: Pick<Producer, 'transaction'>;
  topics: { results: string; status: string };
  /** Bytes of records per topic in one produce request (estimated). */
  maxBytes?: number;
}

export function createEmission(options: EmissionOptions): Emission {
  const { producer, topics } = options;
  const maxBytes = options.maxBytes ?? SPLIT_BYTES;
  let tx: Transaction | undefined;
  let results: Message[] = [];
  let statuses: Message[] = [];
  let bytes = 0;
  let inFlight: Promise<void> | undefined;
  let inFlightCount = 0;
  let failure: unknown;

  const transaction = async (): Promise<Transaction> => {
    tx ??= await producer.transaction();
    return tx;
  };

  /** Waits for the request in flight; rethrows its failure. */
  const settle = async () => {
    if (inFlight) await inFlight;
    if (failure !== undefined) {
      const error = failure;
      failure = undefined;
      throw error;
    }
  };

  const launch = async () => {
    await settle();
    if (results.length === 0 && statuses.length === 0) return;
    const t = await transaction();
    const r = results;
    const s = statuses;
    results = [];
    statuses = [];
    bytes = 0;
    inFlightCount = r.length + s.length;
    inFlight = sendSplit(t, [
      { topic: topics.results, messages: r },
      { topic: topics.status, messages: s },
    ])
      .then(() => undefined)
      .catch((error: unknown) => {
        failure = error;
      })
      .finally(() => {
        inFlight = undefined;
        inFlightCount = 0;
      });
  };

  return {
    async add(result, status) {
      if (failure !== undefined) await settle();
      results.push(result);
      statuses.push(status);
      bytes += Math.max(recordBytes(result), recordBytes(status));
      if (bytes >= maxBytes) await launch();
    },
    async commit(last) {
      await launch();
      await settle();
      const t = await transaction();
      if (last) await last(t);
      tx = undefined;
      await t.commit();
    },
    async abort() {
      await inFlight;
      failure = undefined;
      results = [];
      statuses = [];
      bytes = 0;
      const t = tx;
      tx = undefined;
      if (t?.isActive()) await t.abort().catch(() => undefined);
    },
    held: () => results.length + statuses.length + inFlightCount,
    open: () => tx !== undefined,
  };
}
