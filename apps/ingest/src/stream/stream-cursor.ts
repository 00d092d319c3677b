import type { StreamRecord } from '@claude-pipeline/schemas';
import { compareAttempts, type AttemptKey, type JobStream } from './job-stream.ts';
import type { SseEvent } from './sse.ts';

/**
 * What one client has seen of a job's stream, and what to send it next. The SSE id of every
 * event is `<generation>.<attempt>.<seq>` (seq restarts at 0 with each attempt, so seq alone
 * would be ambiguous); the `retry` event that starts an attempt has seq -1. A reconnecting
 * client sends its last id as `Last-Event-ID` and gets exactly what follows it.
 */
export interface Cursor extends AttemptKey {
  /** Last seq delivered of this attempt; -1: none yet. */
  seq: number;
}

const EVENT_ID = /^([1-9][0-9]{0,8})\.([1-9][0-9]{0,8})\.(-1|0|[1-9][0-9]{0,8})$/;

export const eventIdOf = (cursor: Cursor): string =>
  `${cursor.generation}.${cursor.attempt}.${cursor.seq}`;

/** The cursor of a `Last-Event-ID`; undefined when absent or empty; 'invalid' when not ours. */
export function parseLastEventId(value: string | undefined): Cursor | undefined | 'invalid' {
  if (value === undefined || value.trim() === '') return undefined;
  const match = EVENT_ID.exec(value.trim());
  if (match === null) return 'invalid';
  return { generation: Number(match[1]), attempt: Number(match[2]), seq: Number(match[3]) };
}

export interface NextEvents {
  events: SseEvent[];
  /** Undefined while the client has seen nothing (a later first attempt needs no `retry`). */
  cursor: Cursor | undefined;
  /** The client has the terminal event: close the stream. */
  finished: boolean;
}

function eventOf(record: StreamRecord): SseEvent {
  const id = eventIdOf(record);
  switch (record.type) {
    case 'block_start':
      return {
        id,
        event: 'block_start',
        data: JSON.stringify({ index: record.index, block: record.block }),
      };
    case 'delta':
      return {
        id,
        event: 'delta',
        data: JSON.stringify({ index: record.index, delta: record.delta }),
      };
    case 'end':
      return {
        id,
        event: 'end',
        data: JSON.stringify({
          stop_reason: record.stop_reason,
          usage: record.usage,
          model: record.model,
        }),
      };
    case 'abort':
      return {
        id,
        event: 'failed',
        data: JSON.stringify({ error: record.error, retrying: record.retrying }),
      };
  }
}

const isTerminalRecord = (record: StreamRecord): boolean =>
  record.type === 'end' || (record.type === 'abort' && !record.retrying);

/** The events that take a client from `cursor` to what the stream shows now. */
export function nextEvents(stream: JobStream, cursor: Cursor | undefined): NextEvents {
  const current = stream.current;
  const events: SseEvent[] = [];
  if (current === undefined) return { events, cursor, finished: false };
  let position = cursor;
  if (position !== undefined) {
    const order = compareAttempts(current, position);
    // The client saw a newer attempt than this replica has read so far: wait for it.
    if (order < 0) return { events, cursor, finished: false };
    if (order > 0) {
      // One `retry` event: what the client shows of the earlier attempt is void.
      position = { ...current, seq: -1 };
      events.push({
        id: eventIdOf(position),
        event: 'retry',
        data: JSON.stringify({
          generation: current.generation,
          attempt: current.attempt,
          ...(stream.retryReason === undefined ? {} : { reason: stream.retryReason }),
        }),
      });
    }
  }
  const from = position === undefined ? 0 : position.seq + 1;
  let finished = false;
  for (let seq = Math.max(0, from); seq < stream.records.length; seq += 1) {
    const record = stream.records[seq];
    if (record === undefined) break;
    events.push(eventOf(record));
    position = { ...current, seq };
    if (isTerminalRecord(record)) finished = true;
  }
  if (!finished && position !== undefined && stream.terminal) {
    // Resumed after the terminal event: nothing more will come.
    finished = position.seq >= stream.records.length - 1;
  }
  return { events, cursor: position, finished };
}
