import type { DedupeEntry, EventRecord } from '@claude-pipeline/schemas';
import type { IHeaders } from 'kafkajs';
import { decodeEvent } from './event.decoder.ts';
import { storeKey } from './store-key.ts';

/** An input record as the decider needs it (a kafkajs message fits). */
export interface InboundRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: IHeaders | undefined;
}

export type Verdict =
  | {
      /** First sighting within the window: becomes a job. */
      readonly kind: 'accept';
      readonly record: InboundRecord;
      readonly event: EventRecord;
      readonly rawJob: unknown;
      readonly key: string;
      readonly entry: DedupeEntry;
      /** `entry.expires_at` in epoch ms (the store's expiry index). */
      readonly expiresAt: number;
    }
  | {
      /** A repeat within the window: dropped. */
      readonly kind: 'duplicate';
      readonly record: InboundRecord;
      readonly event: EventRecord;
      readonly key: string;
      /** The job the first sighting became. */
      readonly jobId: string;
    }
  | {
      /** Can never be processed: dead-lettered. */
      readonly kind: 'poison';
      readonly record: InboundRecord;
      readonly reason: string;
    };

export interface DecideOptions {
  /** The committed entry of a store key (the partition's local store). */
  lookup: (key: string) => DedupeEntry | undefined;
  windowMs: number;
  /** Epoch ms. */
  now: number;
}

/**
 * Decides a batch of one partition, in offset order, with read-your-writes inside the batch: a key
 * accepted earlier in the same batch makes later records with that key duplicates, exactly as if
 * each record had its own transaction.
 *
 * A repeat is a record whose `received_at` is before the stored entry's `expires_at`. The window
 * starts at the later of the event's `received_at` and now (when dedupe first saw it): a dedupe
 * that lags behind never drops fewer repeats than the window promises. An entry past its expiry
 * counts as gone even before its tombstone is written.
 */
export function decideBatch(records: readonly InboundRecord[], options: DecideOptions): Verdict[] {
  const { lookup, windowMs, now } = options;
  const inBatch = new Map<string, DedupeEntry>();
  const verdicts: Verdict[] = [];
  for (const record of records) {
    const decoded = decodeEvent(record.value);
    if (!decoded.ok) {
      verdicts.push({ kind: 'poison', record, reason: decoded.reason });
      continue;
    }
    const { event, rawJob } = decoded;
    const key = storeKey(event.tenant, event.idempotency_key);
    const receivedAt = Date.parse(event.received_at);
    const existing = inBatch.get(key) ?? lookup(key);
    if (existing !== undefined && receivedAt < Date.parse(existing.expires_at)) {
      verdicts.push({ kind: 'duplicate', record, event, key, jobId: existing.job_id });
      continue;
    }
    const expiresAt = Math.max(receivedAt, now) + windowMs;
    const entry: DedupeEntry = {
      schema_version: 1,
      tenant: event.tenant,
      idempotency_key: event.idempotency_key,
      job_id: event.job.job_id,
      first_seen_at: new Date(now).toISOString(),
      expires_at: new Date(expiresAt).toISOString(),
    };
    inBatch.set(key, entry);
    verdicts.push({ kind: 'accept', record, event, rawJob, key, entry, expiresAt });
  }
  return verdicts;
}
