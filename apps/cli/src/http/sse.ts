/**
 * A Server-Sent Events parser (WHATWG HTML, "Server-sent events", event stream interpretation):
 * bytes in, events out. Lines end with CRLF, LF or CR (also split across chunks); `data` lines
 * are joined with `\n`; an `id` with a NUL is ignored; `retry` takes digits only; comment lines
 * (`:`) are reported to `onComment` (heartbeats); a leading BOM is dropped. An event is dispatched
 * at the blank line that ends it, so an event cut off by a dropped connection is never seen: its
 * id does not become `lastEventId`, and a reconnect with `Last-Event-ID` gets it whole again.
 */
export interface SseMessage {
  /** The event type; `message` when the stream gave none. */
  event: string;
  data: string;
  /** The last event id as of this event (ids persist until the stream sets another). */
  id: string;
}

export interface SseHandlers {
  onEvent(message: SseMessage): void;
  onComment?(text: string): void;
  /** A valid `retry:` field: the server's reconnection delay, ms. */
  onRetry?(ms: number): void;
}

export interface SseParser {
  /** Feeds bytes (decoded as UTF-8, multi-byte characters may be split across chunks). */
  push(chunk: Uint8Array | string): void;
  /** The stream ended: drops an incomplete event, as the spec says. */
  end(): void;
  /** Id of the last dispatched event (what to send as `Last-Event-ID`); '' when none yet. */
  readonly lastEventId: string;
}

export function createSseParser(handlers: SseHandlers): SseParser {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let started = false;
  /** The previous chunk ended with CR: a LF at the start of this one belongs to it. */
  let skipLf = false;
  let data = '';
  let hasData = false;
  let eventType = '';
  let idBuffer = '';
  let lastEventId = '';

  function dispatch(): void {
    lastEventId = idBuffer;
    if (!hasData) {
      eventType = '';
      return;
    }
    const message = { event: eventType === '' ? 'message' : eventType, data, id: lastEventId };
    data = '';
    hasData = false;
    eventType = '';
    handlers.onEvent(message);
  }

  function line(text: string): void {
    if (text === '') {
      dispatch();
      return;
    }
    if (text.startsWith(':')) {
      handlers.onComment?.(text.slice(1).replace(/^ /, ''));
      return;
    }
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    const value = colon === -1 ? '' : text.slice(colon + 1).replace(/^ /, '');
    switch (field) {
      case 'event':
        eventType = value;
        break;
      case 'data':
        data = hasData ? `${data}\n${value}` : value;
        hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) idBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) handlers.onRetry?.(Number(value));
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
  }

  function feed(text: string): void {
    buffer += text;
    if (!started && buffer !== '') {
      started = true;
      if (buffer.startsWith('\uFEFF')) buffer = buffer.slice(1);
    }
    let from = 0;
    if (skipLf && buffer.startsWith('\n')) from = 1;
    skipLf = false;
    for (;;) {
      const cr = buffer.indexOf('\r', from);
      const lf = buffer.indexOf('\n', from);
      if (cr === -1 && lf === -1) break;
      const at = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      line(buffer.slice(from, at));
      if (buffer[at] === '\r') {
        if (at + 1 === buffer.length) {
          // CR at the end of what we have: a LF may follow in the next chunk.
          skipLf = true;
          from = at + 1;
          break;
        }
        from = buffer[at + 1] === '\n' ? at + 2 : at + 1;
      } else {
        from = at + 1;
      }
    }
    buffer = buffer.slice(from);
  }

  return {
    push(chunk) {
      feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    },
    end() {
      feed(decoder.decode());
      // Whatever is left is an incomplete line or event: discarded.
      buffer = '';
      data = '';
      hasData = false;
      eventType = '';
      skipLf = false;
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}
