import type { CliIo } from '../cli.io.ts';
import { CliError, EXIT, HttpError } from '../errors.ts';
import { createSseParser, type SseMessage } from '../http/sse.ts';
import { describeAnswer, httpError, type IngestClient } from '../http/ingest.client.ts';
import { formatCount, isRecord } from '../output/format.ts';
import type { CommandContext } from './command.types.ts';
import { sleep } from './shared.ts';

/**
 * `pipeline jobs get ID --follow`: the job's live token stream (`GET /v1/jobs/:id/stream`,
 * Server-Sent Events, issue 12). Text deltas go to stdout as they arrive; a `retry` event (the
 * worker started the answer over) is announced on stderr and the new attempt follows on a new
 * line; `end` ends the output with a newline and a summary on stderr; `failed` is an error.
 * A dropped connection is resumed with `Last-Event-ID` (what ingest sends after it is exactly
 * what we have not seen), with bounded attempts and backoff; `--json` prints one JSON object
 * per event (NDJSON).
 */
export interface FollowOptions {
  json: boolean;
  /** Give up after this long (ms): 'timeout'. */
  timeoutMs: number | undefined;
  /** Reconnects in a row that get no event before giving up. */
  maxReconnects: number;
  /** First reconnect delay until the server sends `retry:`, ms (default 1 s). */
  reconnectMs?: number;
  /** Longest wait between reconnects, ms (default 30 s). */
  maxDelayMs?: number;
  /** A connection that sends nothing (not even a heartbeat) this long is dropped, ms (default 60 s). */
  idleTimeoutMs?: number;
}

export const DEFAULT_MAX_RECONNECTS = 10;
const DEFAULT_MAX_DELAY_MS = 30_000;
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** Until the server sends `retry:` (ingest sends 1000). */
const DEFAULT_RECONNECT_MS = 1_000;
const RETRIABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/** `<generation>.<attempt>.<seq>`, as ingest numbers its events. */
type EventKey = readonly [number, number, number];

export function parseEventId(id: string): EventKey | undefined {
  const match = /^(\d+)\.(\d+)\.(-1|\d+)$/.exec(id);
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

const compareKeys = (a: EventKey, b: EventKey): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

export type Terminal = { kind: 'end' } | { kind: 'failed'; reason: string };

/** What the events do to the output; the same for every connection of one follow. */
export interface StreamRenderer {
  /** Returns the terminal outcome at `end` / `failed`. */
  onEvent(message: SseMessage): Terminal | undefined;
  /** Ends a line left open on stdout (interrupt, give up). */
  finishLine(): void;
  /** stdout is in the middle of a line. */
  readonly midLine: boolean;
}

const parseData = (data: string): unknown => {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
};

const retryingFailure = (value: unknown): boolean => isRecord(value) && value['retrying'] === true;

const KNOWN_EVENTS = new Set(['block_start', 'delta', 'retry', 'end', 'failed']);

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

function errorText(error: unknown): string {
  if (!isRecord(error)) return 'unknown error';
  const cls = str(error['class']);
  const message = str(error['message']) ?? '';
  return cls === undefined ? message || 'unknown error' : `${cls}${message ? `: ${message}` : ''}`;
}

export function summaryOf(data: unknown): string {
  if (!isRecord(data)) return 'done';
  const parts = [str(data['stop_reason']) ?? 'done'];
  const model = str(data['model']);
  if (model !== undefined) parts.push(model);
  const usage = data['usage'];
  if (isRecord(usage)) {
    const input = num(usage['input_tokens']);
    const output = num(usage['output_tokens']);
    if (input !== undefined && output !== undefined) {
      const read = num(usage['cache_read_input_tokens']) ?? 0;
      const written = num(usage['cache_creation_input_tokens']) ?? 0;
      parts.push(
        `${formatCount(input)} in / ${formatCount(output)} out tokens` +
          (read + written > 0
            ? ` (cache read ${formatCount(read)}, written ${formatCount(written)})`
            : ''),
      );
    }
  }
  return parts.join(' · ');
}

/**
 * Human output: text deltas as they come (no line buffering), a tool call as
 * `[tool_use NAME] {input json}` on lines of its own; notes and the summary on stderr.
 */
export function humanRenderer(io: Pick<CliIo, 'stdout' | 'stderr'>): StreamRenderer {
  let atLineStart = true;
  let inTool = false;
  const write = (text: string) => {
    if (text === '') return;
    io.stdout.write(text);
    atLineStart = text.endsWith('\n');
  };
  const finishLine = () => {
    if (!atLineStart) write('\n');
  };
  return {
    finishLine,
    get midLine() {
      return !atLineStart;
    },
    onEvent({ id, event, data }) {
      const value = parseData(data);
      if (typeof value === 'string' && KNOWN_EVENTS.has(event)) {
        // Not JSON: nothing to show, but never silently.
        io.stderr.write(
          `pipeline: skipped event ${id || '(no id)'} (${event}): its data is not JSON\n`,
        );
      }
      switch (event) {
        case 'block_start': {
          const block = isRecord(value) && isRecord(value['block']) ? value['block'] : {};
          if (block['type'] === 'tool_use') {
            finishLine();
            write(`[tool_use ${str(block['name']) ?? '?'}] `);
            inTool = true;
          } else if (inTool) {
            finishLine();
            inTool = false;
          }
          return undefined;
        }
        case 'delta': {
          const delta = isRecord(value) && isRecord(value['delta']) ? value['delta'] : {};
          if (delta['type'] === 'text_delta') write(str(delta['text']) ?? '');
          else if (delta['type'] === 'input_json_delta') write(str(delta['partial_json']) ?? '');
          return undefined;
        }
        case 'retry': {
          finishLine();
          inTool = false;
          const v = isRecord(value) ? value : {};
          const reason = v['reason'] === undefined ? '' : ` after ${errorText(v['reason'])}`;
          io.stderr.write(
            `--- retry: the attempt broke${reason}; attempt ${num(v['attempt']) ?? '?'} ` +
              `(generation ${num(v['generation']) ?? '?'}) starts the answer again ---\n`,
          );
          return undefined;
        }
        case 'end':
          finishLine();
          io.stderr.write(`--- ${summaryOf(value)}\n`);
          return { kind: 'end' };
        case 'failed': {
          finishLine();
          const reason = errorText(isRecord(value) ? value['error'] : value);
          if (retryingFailure(value)) {
            // Ingest announces a new attempt with `retry`; should it ever say so here, wait for it.
            io.stderr.write(`--- the attempt failed (${reason}); another one follows ---\n`);
            return undefined;
          }
          return { kind: 'failed', reason };
        }
        default:
          // Unknown event types (a newer ingest) are skipped.
          return undefined;
      }
    },
  };
}

/** `--json`: one object per event, `{id, event, data}` with `data` parsed when it is JSON. */
export function jsonRenderer(io: Pick<CliIo, 'stdout'>): StreamRenderer {
  return {
    finishLine() {
      // Every object ends its own line.
    },
    midLine: false,
    onEvent({ id, event, data }) {
      const value = parseData(data);
      io.stdout.write(`${JSON.stringify({ id, event, data: value })}\n`);
      if (event === 'end') return { kind: 'end' };
      if (event === 'failed' && !retryingFailure(value)) {
        return { kind: 'failed', reason: errorText(isRecord(value) ? value['error'] : value) };
      }
      return undefined;
    },
  };
}

/** Why a body broke: fetch says `terminated` and keeps the socket's reason in `cause`. */
function brokenReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const detail = typeof cause?.message === 'string' ? cause.message : cause?.code;
  return typeof detail === 'string' && detail !== '' && !message.includes(detail)
    ? `${message} (${detail})`
    : message;
}

interface ConnectionResult {
  terminal?: Terminal;
  /** At least one event or heartbeat arrived: the reconnect budget starts over. */
  progressed: boolean;
  /** Why the connection ended without a terminal event. */
  problem: string;
  /** The server's Retry-After, ms. */
  retryAfterMs?: number;
}

/**
 * Follows the stream to its end; returns the exit code or 'timeout'. Throws CliError for a
 * failed job, an HTTP error that retrying cannot fix (401, 403, 404...) or when the reconnects
 * run out.
 */
export async function followJob(
  ctx: CommandContext,
  client: IngestClient,
  id: string,
  options: FollowOptions,
): Promise<number | 'timeout'> {
  const renderer = options.json ? jsonRenderer(ctx.io) : humanRenderer(ctx.io);
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const deadline = new AbortController();
  const deadlineTimer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => deadline.abort(), options.timeoutMs);
  const stop = AbortSignal.any([ctx.signal, deadline.signal]);
  let lastEventId: string | undefined;
  let lastKey: EventKey | undefined;
  let reconnectMs = options.reconnectMs ?? DEFAULT_RECONNECT_MS;
  let failures = 0;

  /** Reads one connection's events until its terminal event, its end or an error. */
  async function read(body: ReadableStream<Uint8Array>): Promise<ConnectionResult> {
    const result: ConnectionResult = { progressed: false, problem: 'the connection closed' };
    const parser = createSseParser({
      onRetry: (ms) => (reconnectMs = Math.min(ms, maxDelayMs)),
      onComment: () => (result.progressed = true),
      onEvent: (message) => {
        if (result.terminal !== undefined) return;
        result.progressed = true;
        const key = parseEventId(message.id);
        // Ingest never sends an event twice; if a replica ever did, it is not printed twice.
        if (key !== undefined && lastKey !== undefined && compareKeys(key, lastKey) <= 0) return;
        if (key !== undefined) lastKey = key;
        if (message.id !== '') lastEventId = message.id;
        const terminal = renderer.onEvent(message);
        if (terminal !== undefined) result.terminal = terminal;
      },
    });
    const reader = body.getReader();
    let idle = false;
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        idle = true;
        void reader.cancel().catch(() => undefined);
      }, idleTimeoutMs);
    };
    const onStop = () => void reader.cancel().catch(() => undefined);
    stop.addEventListener('abort', onStop, { once: true });
    try {
      armIdle();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        armIdle();
        parser.push(value);
        if (result.terminal !== undefined) break;
      }
      if (result.terminal === undefined) parser.end();
    } catch (error) {
      result.problem = brokenReason(error);
    } finally {
      clearTimeout(idleTimer);
      stop.removeEventListener('abort', onStop);
      void reader.cancel().catch(() => undefined);
    }
    if (idle) result.problem = `no data for ${Math.round(idleTimeoutMs / 1000)} s`;
    return result;
  }

  async function connect(): Promise<ConnectionResult> {
    let opening;
    try {
      opening = await client.openJobStream(id, { lastEventId, signal: stop });
    } catch (error) {
      if (stop.aborted) return { progressed: false, problem: 'stopped' };
      // Unreachable ingest is retried; anything else is reported as is.
      if (error instanceof HttpError || !(error instanceof CliError)) throw error;
      return { progressed: false, problem: error.message };
    }
    if (opening.body !== undefined) {
      const type = opening.headers.get('content-type') ?? '';
      if (!type.startsWith('text/event-stream')) {
        void opening.body.cancel().catch(() => undefined);
        throw new CliError(`GET /v1/jobs/${id}/stream answered 200 with ${type || 'no type'}`, {
          hint: '--url or PIPELINE_URL must point at ingest',
        });
      }
      return read(opening.body);
    }
    const { answer } = opening;
    if (answer.status === 204) return { progressed: true, problem: '', terminal: await ended() };
    if (RETRIABLE_STATUS.has(answer.status)) {
      const retryAfter = Number(answer.headers.get('retry-after'));
      return {
        progressed: false,
        problem: describeAnswer(answer),
        ...(Number.isFinite(retryAfter) && retryAfter > 0
          ? { retryAfterMs: retryAfter * 1000 }
          : {}),
      };
    }
    const code = isRecord(answer.body) ? answer.body['code'] : undefined;
    if (answer.status === 404 && code === 'stream_not_available') {
      throw new CliError(`job ${id} has finished and has no stream left`, {
        hint: `its stream expired, or it was not submitted with "stream": true; 'pipeline jobs get ${id}' shows the result`,
      });
    }
    if (answer.status === 404) {
      throw new CliError(`job ${id} not found`, {
        hint: "a job is visible only to its own tenant (the API key's)",
      });
    }
    throw httpError(`GET /v1/jobs/${id}/stream`, answer);
  }

  /** 204: the stream had already ended (we never saw its end): the job's state decides. */
  async function ended(): Promise<Terminal> {
    const status = await client.getJob(id);
    ctx.out.error(`job ${id}: the stream has already ended (${status?.state ?? 'state unknown'})`);
    if (status?.state === 'failed' || status?.state === 'undeliverable') {
      const result = status.result;
      return {
        kind: 'failed',
        reason: result?.status === 'failed' ? errorText(result.error) : status.state,
      };
    }
    return { kind: 'end' };
  }

  try {
    for (;;) {
      const result = await connect();
      if (ctx.signal.aborted) {
        renderer.finishLine();
        return EXIT.interrupted;
      }
      if (deadline.signal.aborted) {
        renderer.finishLine();
        return 'timeout';
      }
      if (result.terminal?.kind === 'end') return EXIT.ok;
      if (result.terminal?.kind === 'failed') {
        throw new CliError(`job ${id} failed: ${result.terminal.reason}`, {
          hint: `'pipeline jobs get ${id}' shows its attempts`,
        });
      }
      failures = result.progressed ? 1 : failures + 1;
      if (failures > options.maxReconnects) {
        renderer.finishLine();
        throw new CliError(
          `stream of job ${id}: ${result.problem}; gave up after ${options.maxReconnects} reconnect${options.maxReconnects === 1 ? '' : 's'}`,
        );
      }
      const backoff = Math.min(maxDelayMs, reconnectMs * 2 ** (failures - 1));
      const waitMs = Math.min(maxDelayMs, Math.max(backoff, result.retryAfterMs ?? 0));
      // On one terminal, a note must not land in the middle of the answer's line.
      const newline = renderer.midLine && ctx.io.stdout.isTTY && ctx.io.stderr.isTTY ? '\n' : '';
      ctx.out.error(
        `${newline}pipeline: stream of job ${id}: ${result.problem}; reconnecting in ${(waitMs / 1000).toFixed(1)} s` +
          ` (${failures}/${options.maxReconnects}${lastEventId === undefined ? '' : `, after event ${lastEventId}`})`,
      );
      await sleep(waitMs, stop);
    }
  } finally {
    clearTimeout(deadlineTimer);
  }
}
