import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The probe and metrics endpoint of a consumer service without an HTTP API of its own (dedupe,
 * batch-poller).
 */

/** What the probes report (computed per request). */
export interface Probes {
  /** The process works (false after a fatal consumer crash: restart it). */
  healthy(): boolean;
  /** Ready to process: consumer running and every assigned partition restored. */
  readiness(): { ready: boolean; details: Record<string, unknown> };
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface HttpServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** `/healthz`, `/readyz` and `/metrics` on a small node:http server (no framework needed). */
export async function startHttpServer(
  probes: Probes,
  { host, port }: { host: string; port: number },
): Promise<HttpServer> {
  const json = (status: number, body: unknown) => ({
    status,
    type: 'application/json',
    body: JSON.stringify(body),
  });
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const answer = async () => {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return json(405, { error: 'method not allowed' });
      }
      switch (path) {
        case '/healthz':
          return probes.healthy() ? json(200, { status: 'ok' }) : json(503, { status: 'failed' });
        case '/readyz': {
          const { ready, details } = probes.readiness();
          return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...details });
        }
        case '/metrics': {
          const { contentType, body } = await probes.metrics();
          return { status: 200, type: contentType, body };
        }
        default:
          return json(404, { error: 'not found' });
      }
    };
    answer().then(
      ({ status, type, body }) => {
        response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: String(error) }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    port: actual,
    url: `http://${shownHost}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
