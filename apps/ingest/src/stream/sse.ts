/**
 * Server-Sent Events framing (WHATWG HTML, "Server-sent events"). A field value may not contain
 * a line break, so a multi-line `data` is sent as one `data:` line per line (the client joins
 * them with `\n`); `id` and `event` are single-line by construction and checked.
 */
export interface SseEvent {
  /** Becomes the client's `lastEventId` (sent back as `Last-Event-ID` on reconnect). */
  id?: string;
  /** Event type; absent means `message`. */
  event?: string;
  data: string;
}

const LINE_BREAK = /\r\n|\r|\n/;
const SINGLE_LINE = /^[^\r\n\0]*$/;

export function formatEvent(event: SseEvent): string {
  let frame = '';
  if (event.id !== undefined) {
    // A NUL in an id makes the client ignore the field: refuse to produce one at all.
    if (!SINGLE_LINE.test(event.id)) throw new Error('an SSE id must be a single line without NUL');
    frame += `id: ${event.id}\n`;
  }
  if (event.event !== undefined) {
    if (!SINGLE_LINE.test(event.event)) throw new Error('an SSE event type must be a single line');
    frame += `event: ${event.event}\n`;
  }
  for (const line of event.data.split(LINE_BREAK)) frame += `data: ${line}\n`;
  return `${frame}\n`;
}

/** A comment line: ignored by clients, keeps proxies from closing an idle connection. */
export function formatComment(text = ''): string {
  const lines = text.split(LINE_BREAK);
  return `${lines.map((line) => `:${line === '' ? '' : ` ${line}`}`).join('\n')}\n\n`;
}

/** The client's reconnection delay, ms. */
export const formatRetry = (ms: number): string => `retry: ${Math.max(0, Math.floor(ms))}\n\n`;

/** Response headers of an event stream (no proxy buffering, no caching). */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
} as const;
