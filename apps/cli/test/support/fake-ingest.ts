import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobState } from '@claude-pipeline/schemas';
import { callbackFromResult } from '@claude-pipeline/schemas';
import { sampleSucceededResult } from '@claude-pipeline/schemas/testing';
import {
  createSigner,
  createVerifier,
  isWebhookVerificationError,
  type SchemeConfig,
} from '@claude-pipeline/signing';
import { jobStatus } from './job-status.ts';

/**
 * A stand-in for ingest's HTTP API (issue 5) that records what it got: verifies webhook
 * signatures with libs/signing per configured source, checks the bearer key, hands out job ids,
 * and answers `GET /v1/jobs/:id` with a state that moves on at each poll. A job with a callback
 * URL gets a Standard Webhooks-signed callback POSTed to it before it reports `delivered`.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface FakeJob {
  id: string;
  kind: 'api' | 'webhook';
  body: Record<string, unknown>;
  polls: number;
  callbackSent: boolean;
}

export interface FakeIngestOptions {
  apiKey: string;
  sources: Record<string, SchemeConfig>;
  /** Signs callbacks (Standard Webhooks). */
  callbackSecret: string;
  /** States a job walks through, one per poll. */
  path?: (job: FakeJob) => readonly JobState[];
}

export interface FakeIngest {
  url: string;
  requests: RecordedRequest[];
  jobs: Map<string, FakeJob>;
  close(): Promise<void>;
}

const DEFAULT_PATH = (job: FakeJob): readonly JobState[] =>
  typeof job.body['callback_url'] === 'string'
    ? ['accepted', 'processing', 'succeeded', 'delivering', 'delivered']
    : ['accepted', 'processing', 'succeeded'];

export async function startFakeIngest(options: FakeIngestOptions): Promise<FakeIngest> {
  const requests: RecordedRequest[] = [];
  const jobs = new Map<string, FakeJob>();
  const verifiers = new Map(
    Object.entries(options.sources).map(([name, config]) => [name, createVerifier(config)]),
  );
  const callbackSigner = createSigner({
    scheme: 'standard-webhooks',
    secrets: [options.callbackSecret],
  });
  const path = options.path ?? DEFAULT_PATH;
  let counter = 0;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, {
      'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
    });
    res.end(JSON.stringify(body));
  };
  const problem = (status: number, title: string, code: string) => ({
    type: 'about:blank',
    title,
    status,
    code,
    detail: `${title}: ${code}`,
  });

  async function deliverCallback(job: FakeJob): Promise<void> {
    const result = sampleSucceededResult({ job_id: job.id, correlation_id: `corr-${job.id}` });
    const body = JSON.stringify(callbackFromResult(result));
    const headers = callbackSigner.sign(body, { id: `${job.id}.1` });
    await fetch(String(job.body['callback_url']), {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const url = req.url ?? '/';
        requests.push({ method: req.method ?? 'GET', path: url, headers: req.headers, body });
        if (req.method === 'GET' && url === '/readyz') return send(res, 200, { status: 'ready' });

        const hook = /^\/v1\/webhooks\/([^/]+)$/.exec(url);
        if (req.method === 'POST' && hook?.[1]) {
          const verifier = verifiers.get(hook[1]);
          if (!verifier) return send(res, 404, problem(404, 'Not Found', 'unknown_source'));
          try {
            verifier.verify(body, req.headers);
          } catch (error) {
            if (!isWebhookVerificationError(error)) throw error;
            return send(res, 401, problem(401, 'Unauthorized', error.reason));
          }
          const id = `wh-job-${++counter}`;
          jobs.set(id, { id, kind: 'webhook', body: {}, polls: 0, callbackSent: false });
          return send(res, 202, { status: 'accepted', id, status_url: `/v1/jobs/${id}` });
        }

        const authorized = req.headers.authorization === `Bearer ${options.apiKey}`;
        if (url.startsWith('/v1/jobs') && !authorized) {
          return send(res, 401, problem(401, 'Unauthorized', 'invalid_api_key'));
        }
        if (req.method === 'POST' && url === '/v1/jobs') {
          const id = `api-job-${++counter}`;
          const parsed = JSON.parse(body.toString()) as Record<string, unknown>;
          jobs.set(id, { id, kind: 'api', body: parsed, polls: 0, callbackSent: false });
          res.setHeader('correlation-id', `corr-${id}`);
          return send(res, 202, { id, status_url: `/v1/jobs/${id}` });
        }
        const get = /^\/v1\/jobs\/([^/]+)$/.exec(url);
        if (req.method === 'GET' && get?.[1]) {
          const job = jobs.get(get[1]);
          if (!job) return send(res, 404, problem(404, 'Not Found', 'unknown_job'));
          const states = path(job);
          const state = states[Math.min(job.polls, states.length - 1)] ?? 'accepted';
          job.polls += 1;
          if (state === 'delivered' && !job.callbackSent) {
            job.callbackSent = true;
            await deliverCallback(job);
          }
          const mode = job.body['mode'] === 'batch' ? 'batch' : 'realtime';
          return send(res, 200, jobStatus(job.id, state, { mode }));
        }
        return send(res, 404, problem(404, 'Not Found', 'no_route'));
      })().catch((error: unknown) => {
        res.writeHead(500);
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    jobs,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
