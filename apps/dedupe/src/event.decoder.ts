import { contracts, safeParse, type EventRecord } from '@claude-pipeline/schemas';

export type DecodedEvent =
  | {
      readonly ok: true;
      readonly event: EventRecord;
      /**
       * The job exactly as ingest built it (parsed JSON, not re-validated output): forwarded to
       * `pipeline.jobs` as is, so fields a newer ingest adds are not stripped by an older dedupe.
       */
      readonly rawJob: unknown;
    }
  | { readonly ok: false; readonly reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A `pipeline.events` value → the event, or why it can never be processed (a poison record: no
 * value, bad UTF-8, bad JSON, or not an event record).
 */
export function decodeEvent(value: Buffer | null): DecodedEvent {
  if (value === null) return { ok: false, reason: 'no value (tombstone)' };
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(value));
  } catch (error) {
    return {
      ok: false,
      reason: `value is not UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const parsed = safeParse(contracts.eventRecord, json);
  if (!parsed.ok) return { ok: false, reason: parsed.error.message };
  return { ok: true, event: parsed.value, rawJob: (json as { job: unknown }).job };
}
