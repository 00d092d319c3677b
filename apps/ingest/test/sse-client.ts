/**
 * A small SSE client over fetch for tests and the benchmark: parses frames as a browser does
 * (WHATWG), stamps each event with its arrival time, and can be cut off mid-stream.
 */
export interface ReceivedEvent {
  id: string;
  event: string;
  data: string;
  /** performance.timeOrigin + performance.now() at arrival, ms. */
  at: number;
}

export interface SseConnection {
  readonly status: number;
  readonly headers: Headers;
  readonly events: ReceivedEvent[];
  /** Resolves when the server closed the stream (or the connection was cut). */
  readonly closed: Promise<void>;
  /** Resolves once `predicate` holds for the events so far. */
  until(predicate: (events: ReceivedEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Cuts the connection, as a dropped browser would. */
  close(): void;
}

export const clock = (): number => performance.timeOrigin + performance.now();

export async function openSse(
  url: string,
  headers: Record<string, string> = {},
  onEvent?: (event: ReceivedEvent) => void,
): Promise<SseConnection> {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const events: ReceivedEvent[] = [];
  const watchers = new Set<() => void>();
  let finished = false;
  const notify = () => {
    for (const watcher of [...watchers]) watcher();
  };

  const read = async () => {
    if (res.body === null) return;
    const decoder = new TextDecoder();
    let buffer = '';
    let id = '';
    let event = '';
    let data: string[] = [];
    try {
      for await (const chunk of res.body) {
        const at = clock();
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
          if (line === '') {
            if (data.length > 0) {
              const received = { id, event: event || 'message', data: data.join('\n'), at };
              events.push(received);
              onEvent?.(received);
            }
            event = '';
            data = [];
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let value = colon < 0 ? '' : line.slice(colon + 1);
          if (value.startsWith(' ')) value = value.slice(1);
          if (field === 'id') id = value;
          else if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
        }
        notify();
      }
    } catch {
      // Cut off by close() or by the server: the events so far stand.
    } finally {
      finished = true;
      notify();
    }
  };
  const closed = read();

  return {
    status: res.status,
    headers: res.headers,
    events,
    closed,
    until(predicate, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate(events)) {
            done();
            resolve();
          } else if (finished) {
            done();
            reject(new Error(`stream closed after ${events.length} events without the condition`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${events.length} events`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
}

/** The text of the text deltas, in order. */
export const textOf = (events: readonly ReceivedEvent[]): string =>
  events
    .filter((e) => e.event === 'delta')
    .map((e) => JSON.parse(e.data) as { delta: { type: string; text?: string } })
    .map((d) => (d.delta.type === 'text_delta' ? (d.delta.text ?? '') : ''))
    .join('');
