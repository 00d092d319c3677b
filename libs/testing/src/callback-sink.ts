import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerifier, WebhookVerificationError } from '@claude-pipeline/signing';

/**
 * A local HTTP receiver for signed callbacks, as a customer's endpoint would be: it verifies
 * each delivery's Standard Webhooks signature with the secrets it knows, records it, and answers
 * with the status a test chooses (e.g. 500 three times, then 200).
 */
export interface Delivery {
  /** `webhook-id`: stable per job, generation and event, for de-duplication. */
  id: string;
  timestamp: number;
  body: string;
  json: unknown;
  headers: IncomingHttpHeaders;
  receivedAt: number;
  /** Which of the sink's secrets verified it. */
  secretIndex: number;
  /** Status the sink answered. */
  status: number;
}

export interface Rejection {
  reason: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CallbackSinkOptions {
  /** `whsec_...` secrets this receiver knows (at least one). */
  secrets: string[];
  /** Status to answer for a verified delivery (default 200); called before it is recorded. */
  respond?: (delivery: Omit<Delivery, 'status'>, attempt: number) => number;
  port?: number;
}

export interface CallbackSink {
  url: string;
  deliveries: Delivery[];
  rejections: Rejection[];
  /** Deliveries per webhook-id, counting every attempt. */
  attempts(id: string): number;
  close(): Promise<void>;
}

export async function startCallbackSink(options: CallbackSinkOptions): Promise<CallbackSink> {
  const verifier = createVerifier({ scheme: 'standard-webhooks', secrets: options.secrets });
  const deliveries: Delivery[] = [];
  const rejections: Rejection[] = [];
  const attemptsById = new Map<string, number>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      try {
        const verified = verifier.verify(raw, req.headers);
        const id = verified.id ?? '';
        const attempt = (attemptsById.get(id) ?? 0) + 1;
        attemptsById.set(id, attempt);
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        const base = {
          id,
          timestamp: verified.timestamp ?? 0,
          body,
          json,
          headers: req.headers,
          receivedAt: Date.now(),
          secretIndex: verified.secretIndex,
        };
        const status = options.respond?.(base, attempt) ?? 200;
        deliveries.push({ ...base, status });
        res.writeHead(status).end();
      } catch (error) {
        const reason = error instanceof WebhookVerificationError ? error.reason : String(error);
        rejections.push({ reason, headers: req.headers, body });
        res.writeHead(401).end();
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    rejections,
    attempts: (id) => attemptsById.get(id) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
