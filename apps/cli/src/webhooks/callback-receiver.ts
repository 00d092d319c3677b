import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { callbackPayloadSchema, safeParse, type CallbackPayload } from '@claude-pipeline/schemas';
import { isWebhookVerificationError, type WebhookVerifier } from '@claude-pipeline/signing';
import { CliError } from '../errors.ts';
import { parseJsonOrUndefined } from '../output/format.ts';

/**
 * A local endpoint for signed callbacks (`pipeline listen`, and `pipeline demo`'s receiver):
 * verifies each request over its raw bytes, answers 401 with the reason when the signature does
 * not hold, and reports every request, verified or not, to `onDelivery`.
 */
export interface ReceivedRequest {
  /** Epoch ms. */
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
  /** True only when a signature was checked and held. */
  verified: boolean;
  /** Why it was refused (verification failure reason, or an HTTP reason). */
  rejected?: { reason: string; header?: string };
  webhookId?: string;
  /** How many times this webhook-id arrived so far (1 = first delivery). */
  seen: number;
  /** The callback payload, when the body is one (schema `callback-payload` v1). */
  payload?: CallbackPayload;
  /** Why the body is not a valid callback payload, when it is not. */
  payloadProblem?: string;
  /** Status answered. */
  status: number;
}

export interface CallbackReceiverOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Undefined: accept without verifying (`--skip-verify`). */
  verifier: WebhookVerifier | undefined;
  /** Status answered to a verified request. Default 200. */
  status?: number;
  /** Largest body, bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  now?: () => number;
  onRequest(request: ReceivedRequest): void;
}

export interface CallbackReceiver {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startCallbackReceiver(
  options: CallbackReceiverOptions,
): Promise<CallbackReceiver> {
  const now = options.now ?? Date.now;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const seenById = new Map<string, number>();

  const answer = (
    res: ServerResponse,
    status: number,
    body: unknown,
    type = 'application/json',
  ) => {
    res.writeHead(status, { 'content-type': type });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      const base = {
        at: now(),
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
        json: parseJsonOrUndefined(body),
      };
      const report = (
        status: number,
        extra: Partial<ReceivedRequest> & { verified: boolean; seen: number },
      ) => options.onRequest({ ...base, ...extra, status });

      if (req.method !== 'POST') {
        answer(res, 405, problem(405, 'Method Not Allowed', 'POST your webhooks here.'), PROBLEM);
        report(405, { verified: false, seen: 0, rejected: { reason: 'method_not_allowed' } });
        return;
      }
      if (tooLarge) {
        answer(res, 413, problem(413, 'Content Too Large', `Body over ${maxBody} bytes.`), PROBLEM);
        report(413, { verified: false, seen: 0, rejected: { reason: 'body_too_large' } });
        return;
      }
      let verified = false;
      let webhookId = headerValue(req.headers['webhook-id']);
      if (options.verifier) {
        try {
          const proof = options.verifier.verify(raw, req.headers);
          verified = true;
          webhookId = proof.id ?? webhookId;
        } catch (error) {
          if (!isWebhookVerificationError(error)) throw error;
          answer(res, 401, problem(401, 'Unauthorized', error.message, error.reason), PROBLEM);
          report(401, {
            verified: false,
            seen: 0,
            rejected: {
              reason: error.reason,
              ...(error.header === undefined ? {} : { header: error.header }),
            },
            ...(webhookId === undefined ? {} : { webhookId }),
          });
          return;
        }
      }
      const seen = webhookId === undefined ? 1 : (seenById.get(webhookId) ?? 0) + 1;
      if (webhookId !== undefined) seenById.set(webhookId, seen);
      const parsed = safeParse(callbackPayloadSchema, base.json);
      const status = options.status ?? 200;
      answer(res, status, { received: true });
      report(status, {
        verified,
        seen,
        ...(webhookId === undefined ? {} : { webhookId }),
        ...(parsed.ok ? { payload: parsed.value } : { payloadProblem: parsed.error.message }),
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new CliError(
              `cannot listen on ${options.host}:${options.port}: ${error.code === 'EADDRINUSE' ? 'EADDRINUSE (port in use)' : 'EACCES (not allowed)'}`,
              { cause: error, hint: 'choose another port (0 picks a free one)' },
            )
          : error,
      );
    });
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      // Errors of single connections are the client's problem, not a reason to crash.
      server.on('error', () => undefined);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const PROBLEM = 'application/problem+json';

function problem(status: number, title: string, detail: string, code?: string) {
  return { type: 'about:blank', title, status, detail, ...(code === undefined ? {} : { code }) };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
