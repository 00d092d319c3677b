import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * A customer's callback endpoint for tests: it verifies each request with the
 * `standardwebhooks` npm package (the reference implementation, not our signing lib) against
 * the secrets it knows, records it, and answers what the test says — or never answers.
 */
export interface Received {
  id: string;
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
  /** Verified by `standardwebhooks` with one of the receiver's secrets. */
  verified: boolean;
  status: number | 'hang';
}

export type Answer = number | { status: number; headers?: Record<string, string> } | 'hang';

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  received: Received[];
  /** Requests per webhook-id. */
  count(id: string): number;
  close(): Promise<void>;
}

export async function startReceiver(
  options: {
    secrets?: readonly string[];
    /** `n` is the 1-based request count for this webhook-id. */
    respond?: (request: Omit<Received, 'status'>, n: number) => Answer;
  } = {},
): Promise<Receiver> {
  const verifiers = (options.secrets ?? []).map((s) => new Webhook(s));
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id'] ?? '');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const verified = verifiers.some((w) => {
        try {
          w.verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const n = (counts.get(id) ?? 0) + 1;
      counts.set(id, n);
      const request = { id, at: Date.now(), headers: req.headers, body, json, verified };
      const answer =
        options.respond?.(request, n) ?? (verified || verifiers.length === 0 ? 200 : 401);
      if (answer === 'hang') {
        received.push({ ...request, status: 'hang' });
        hanging.add(res);
        return;
      }
      const { status, headers: extra = {} } =
        typeof answer === 'number' ? { status: answer } : answer;
      received.push({ ...request, status });
      res.writeHead(status, extra).end();
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    count: (id) => counts.get(id) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
