import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A stand-in for ingest's `GET /v1/jobs/:id/stream` (issue 12) over real HTTP, framed as ingest
 * frames it (apps/ingest/src/stream/sse.ts): `retry:` first, then `id: <g>.<a>.<seq>`, `event:`,
 * `data:` per event, `: heartbeat` comments, `Last-Event-ID` resumes after that event, `204`
 * once the client has the end. Each job is a fixed list of events sent one by one with a pause;
 * a connection can be cut mid-event (`dropAfter`), and sending can wait on a gate.
 */
export interface StreamEvent {
  id: string;
  event: string;
  data: unknown;
}

export interface SseJob {
  tenantKey: string;
  events: readonly StreamEvent[];
  /** Per connection (0, 1, ...): after this many events of it, write half of the next, then reset. */
  dropAfter?: (connection: number) => number | undefined;
  /** Sending waits for this before the event at `gateAt` (index in `events`). */
  gate?: { at: number; open: Promise<void> };
}

export interface StreamRequest {
  path: string;
  headers: IncomingHttpHeaders;
  status: number;
}

export interface SseIngest {
  url: string;
  requests: StreamRequest[];
  close(): Promise<void>;
}

const formatEvent = (e: StreamEvent): string =>
  `id: ${e.id}\nevent: ${e.event}\n${JSON.stringify(e.data)
    .split('\n')
    .map((line) => `data: ${line}\n`)
    .join('')}\n`;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startSseIngest(
  jobs: Record<string, SseJob>,
  options: { eventDelayMs?: number; heartbeatMs?: number; reconnectMs?: number } = {},
): Promise<SseIngest> {
  const eventDelayMs = options.eventDelayMs ?? 15;
  const requests: StreamRequest[] = [];
  const connections = new Map<string, number>();
  const sockets = new Set<Socket>();

  const problem = (res: ServerResponse, status: number, code: string, extra = {}) => {
    res.writeHead(status, { 'content-type': 'application/problem+json', ...extra });
    res.end(JSON.stringify({ type: 'about:blank', title: `HTTP ${status}`, status, code }));
  };

  const server = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '/';
      const record = (status: number) => requests.push({ path, headers: req.headers, status });
      const match = /^\/v1\/jobs\/([^/?]+)\/stream$/.exec(path);
      if (req.method !== 'GET' || match?.[1] === undefined) {
        record(404);
        return problem(res, 404, 'not_found');
      }
      const jobId = match[1];
      const job = jobs[jobId];
      const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (key === undefined || !Object.values(jobs).some((j) => j.tenantKey === key)) {
        record(401);
        return problem(res, 401, 'invalid_api_key', { 'www-authenticate': 'Bearer' });
      }
      // Another tenant's job is answered like a job that does not exist.
      if (job === undefined || job.tenantKey !== key) {
        record(404);
        return problem(res, 404, 'job_not_found');
      }
      const lastId = req.headers['last-event-id'];
      let from = 0;
      if (typeof lastId === 'string' && lastId !== '') {
        const at = job.events.findIndex((e) => e.id === lastId);
        if (at === -1) {
          record(400);
          return problem(res, 400, 'invalid_last_event_id');
        }
        from = at + 1;
      }
      if (from >= job.events.length) {
        record(204);
        res.writeHead(204, { 'cache-control': 'no-store' });
        return res.end();
      }
      record(200);
      const connection = connections.get(jobId) ?? 0;
      connections.set(jobId, connection + 1);
      const dropAfter = job.dropAfter?.(connection);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: ${options.reconnectMs ?? 20}\n\n`);
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), options.heartbeatMs ?? 40);
      let closed = false;
      res.on('close', () => {
        closed = true;
        clearInterval(heartbeat);
      });
      let sent = 0;
      for (let i = from; i < job.events.length && !closed; i += 1) {
        const event = job.events[i];
        if (event === undefined) break;
        if (job.gate?.at === i) await job.gate.open;
        await delay(eventDelayMs);
        if (closed) break;
        const frame = formatEvent(event);
        if (dropAfter !== undefined && sent === dropAfter) {
          // Half an event, then the connection breaks (no clean end of the chunked body).
          clearInterval(heartbeat);
          res.write(frame.slice(0, Math.floor(frame.length / 2)));
          await delay(eventDelayMs);
          res.socket?.destroy();
          return;
        }
        res.write(frame);
        sent += 1;
      }
      clearInterval(heartbeat);
      res.end();
    })().catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The events of one attempt: a text block whose deltas are `parts`, then `end` (or nothing). */
export function textAttempt(
  generation: number,
  attempt: number,
  parts: readonly string[],
  finish: 'end' | 'none' = 'end',
): StreamEvent[] {
  const id = (seq: number) => `${generation}.${attempt}.${seq}`;
  const events: StreamEvent[] = [
    { id: id(0), event: 'block_start', data: { index: 0, block: { type: 'text' } } },
    ...parts.map((text, i) => ({
      id: id(i + 1),
      event: 'delta',
      data: { index: 0, delta: { type: 'text_delta', text } },
    })),
  ];
  if (finish === 'end') {
    events.push({
      id: id(parts.length + 1),
      event: 'end',
      data: {
        stop_reason: 'end_turn',
        usage: {
          input_tokens: 21,
          output_tokens: parts.length,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
        model: 'claude-sonnet-4-5',
      },
    });
  }
  return events;
}
