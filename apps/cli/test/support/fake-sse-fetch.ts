import type { FakeRequest } from './fake-fetch.ts';

/**
 * A fetch for unit tests (no sockets) that answers each request from a script: a JSON answer,
 * or an event stream whose chunks arrive one by one (a macrotask apart) and then end cleanly,
 * break (like a reset connection) or hang until the request is aborted.
 */
export interface ScriptedAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON (or text) body: the answer is not a stream. */
  body?: unknown;
  /** Chunks of a `text/event-stream` body (status 200 unless given). */
  chunks?: readonly (string | Uint8Array)[];
  /** After the chunks: end the body (default), error it, or keep it open until aborted. */
  then?: 'close' | 'error' | 'hang';
}

export function sseFetch(
  script: (request: FakeRequest, index: number) => ScriptedAnswer | Promise<ScriptedAnswer>,
) {
  const requests: FakeRequest[] = [];
  const fetchFn = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const request = {
      url: String(input),
      method: init.method ?? 'GET',
      headers,
      body:
        init.body === undefined || init.body === null
          ? Buffer.alloc(0)
          : Buffer.from(init.body as string | Uint8Array),
    };
    requests.push(request);
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    const answer = await script(request, requests.length - 1);
    if (answer.chunks === undefined) {
      const text =
        answer.body === undefined
          ? null
          : typeof answer.body === 'string'
            ? answer.body
            : JSON.stringify(answer.body);
      return new Response(text, {
        status: answer.status ?? 200,
        headers: { 'content-type': 'application/json', ...answer.headers },
      });
    }
    const chunks = [...answer.chunks];
    const encoder = new TextEncoder();
    let hung: ((error: unknown) => void) | undefined;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setImmediate(resolve));
        const next = chunks.shift();
        if (next !== undefined) {
          controller.enqueue(typeof next === 'string' ? encoder.encode(next) : next);
          return;
        }
        if (answer.then === 'error') {
          controller.error(new TypeError('terminated: other side closed'));
        } else if (answer.then === 'hang') {
          await new Promise<void>((resolve) => {
            hung = (error) => {
              controller.error(error);
              resolve();
            };
            if (signal?.aborted) hung(signal.reason);
          });
        } else {
          controller.close();
        }
      },
      cancel() {
        hung?.(new Error('cancelled'));
      },
    });
    signal?.addEventListener('abort', () => hung?.(signal.reason), { once: true });
    return new Response(body, {
      status: answer.status ?? 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8', ...answer.headers },
    });
  }) as typeof fetch;
  return { fetch: fetchFn, requests };
}

/** One SSE frame as ingest writes it (`id`, `event`, one `data:` line per line). */
export function frame(id: string, event: string, data: unknown): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return `id: ${id}\nevent: ${event}\n${text
    .split('\n')
    .map((l) => `data: ${l}\n`)
    .join('')}\n`;
}

export const textDelta = (id: string, text: string, index = 0): string =>
  frame(id, 'delta', { index, delta: { type: 'text_delta', text } });

export const textStart = (id: string, index = 0): string =>
  frame(id, 'block_start', { index, block: { type: 'text' } });

export const endFrame = (id: string, outputTokens = 3): string =>
  frame(id, 'end', {
    stop_reason: 'end_turn',
    usage: {
      input_tokens: 12,
      output_tokens: outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
    model: 'claude-sonnet-4-5',
  });
