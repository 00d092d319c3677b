import { randomUUID } from 'node:crypto';
import type {
  JobStatusResponse,
  JobSubmission,
  JobSubmissionResponse,
} from '@claude-pipeline/schemas';
import type { Env } from '../cli.io.ts';
import { CliError, HttpError } from '../errors.ts';
import { isRecord } from '../output/format.ts';

/**
 * The ingest HTTP API as the CLI uses it (issue 5): `POST /v1/webhooks/:source`, `POST /v1/jobs`
 * (bearer API key, `Idempotency-Key`), `GET /v1/jobs/:id`, `GET /readyz`. Non-2xx answers become
 * an HttpError whose message carries the problem+json title and detail (never a secret).
 */
export const DEFAULT_INGEST_URL = 'http://127.0.0.1:8080';

export interface IngestClientOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  fetch?: typeof fetch;
  /** Per request (ms). Default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON. */
  body: unknown;
}

export interface RequestTrace {
  traceparent?: string;
  correlationId?: string;
}

export interface IngestClient {
  readonly baseUrl: string;
  postWebhook(source: string, body: Buffer, headers: Record<string, string>): Promise<HttpAnswer>;
  submitJob(
    body: JobSubmission,
    options?: RequestTrace & { idempotencyKey?: string },
  ): Promise<{ answer: HttpAnswer; response: JobSubmissionResponse }>;
  /** The job's status, or undefined on 404. */
  getJob(id: string): Promise<JobStatusResponse | undefined>;
  /** `GET /readyz`: the answer whatever its status. */
  ready(): Promise<HttpAnswer>;
  /**
   * `GET /v1/jobs/:id/stream` (Server-Sent Events). Resolves when the headers arrive (within
   * the request timeout): a 200 gives the body to read, anything else the answer read whole.
   * The body has no timeout; `signal` ends it. Unreachable ingest: CliError (not HttpError).
   */
  openJobStream(id: string, options?: StreamOpenOptions): Promise<StreamOpening>;
}

export interface StreamOpenOptions {
  /** Sent as `Last-Event-ID`: the stream resumes after that event. */
  lastEventId?: string | undefined;
  /** Ends the request and the body (besides the client's own signal). */
  signal?: AbortSignal | undefined;
}

export type StreamOpening =
  | { status: 200; headers: Headers; body: ReadableStream<Uint8Array> }
  | { status: number; headers: Headers; body?: undefined; answer: HttpAnswer };

export function ingestUrlFrom(env: Env, flag: string | undefined): string {
  const url = flag ?? env['PIPELINE_URL'] ?? DEFAULT_INGEST_URL;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
  } catch {
    throw new CliError(`--url must be an http(s) URL, got "${url}"`, { exitCode: 2 });
  }
  return url.replace(/\/+$/, '');
}

/** The API key from `--api-key` or PIPELINE_API_KEY; required by the jobs endpoints. */
export function apiKeyFrom(env: Env, flag: string | undefined): string {
  const key = flag ?? env['PIPELINE_API_KEY'];
  if (key === undefined || key === '') {
    throw new CliError('no API key', {
      exitCode: 2,
      hint: 'set PIPELINE_API_KEY (or pass --api-key) to a key of INGEST_API_KEYS',
    });
  }
  return key;
}

export function createIngestClient(options: IngestClientOptions): IngestClient {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const base = options.baseUrl;
  const authorization = (): Record<string, string> =>
    options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` };

  /** A fetch error as a CliError; rethrows when one of `callerSignals` stopped it. */
  function fetchFailure(
    error: unknown,
    what: string,
    timedOut: boolean,
    callerSignals: readonly (AbortSignal | undefined)[],
  ): never {
    if (callerSignals.some((s) => s?.aborted)) throw error;
    if (timedOut) {
      throw new CliError(`${what}: no answer within ${timeoutMs} ms`, { cause: error });
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(
      `cannot reach ingest at ${base}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      {
        cause: error,
        hint: 'is the stack running (npm start)? --url or PIPELINE_URL sets the address',
      },
    );
  }

  async function readAnswer(response: Response): Promise<HttpAnswer> {
    const text = await response.text();
    let parsed: unknown = text;
    if (text !== '') {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  async function request(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: Buffer | string,
  ): Promise<HttpAnswer> {
    const url = `${base}${path}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal,
      });
    } catch (error) {
      fetchFailure(error, `${method} ${url}`, timeout.aborted, [options.signal]);
    }
    return readAnswer(response);
  }

  async function openJobStream(id: string, opts: StreamOpenOptions = {}): Promise<StreamOpening> {
    const url = `${base}/v1/jobs/${encodeURIComponent(id)}/stream`;
    // The timeout covers the headers only: a stream may stay open for many minutes.
    const connect = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      connect.abort(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const signals = [connect.signal, options.signal, opts.signal].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'GET',
        headers: {
          accept: 'text/event-stream',
          'cache-control': 'no-cache',
          ...authorization(),
          ...(opts.lastEventId ? { 'last-event-id': opts.lastEventId } : {}),
        },
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      fetchFailure(error, `GET ${url}`, timedOut, [options.signal, opts.signal]);
    } finally {
      clearTimeout(timer);
    }
    if (response.status === 200 && response.body !== null) {
      return { status: 200, headers: response.headers, body: response.body };
    }
    const answer = await readAnswer(response);
    return { status: answer.status, headers: answer.headers, answer };
  }

  const traceHeaders = (trace: RequestTrace = {}): Record<string, string> => ({
    ...(trace.traceparent === undefined ? {} : { traceparent: trace.traceparent }),
    ...(trace.correlationId === undefined ? {} : { 'correlation-id': trace.correlationId }),
  });

  return {
    baseUrl: base,
    postWebhook: (source, body, headers) =>
      request('POST', `/v1/webhooks/${encodeURIComponent(source)}`, headers, body),

    async submitJob(body, opts = {}) {
      const answer = await request(
        'POST',
        '/v1/jobs',
        {
          'content-type': 'application/json',
          accept: 'application/json',
          ...authorization(),
          'idempotency-key': opts.idempotencyKey ?? randomUUID(),
          ...traceHeaders(opts),
        },
        JSON.stringify(body),
      );
      if (answer.status !== 202 && answer.status !== 200 && answer.status !== 201) {
        throw httpError('POST /v1/jobs', answer);
      }
      if (!isRecord(answer.body) || typeof answer.body['id'] !== 'string') {
        throw new CliError(`POST /v1/jobs answered ${answer.status} without a job id`);
      }
      return { answer, response: answer.body as JobSubmissionResponse };
    },

    async getJob(id) {
      const answer = await request('GET', `/v1/jobs/${encodeURIComponent(id)}`, {
        accept: 'application/json',
        ...authorization(),
      });
      if (answer.status === 404) return undefined;
      if (answer.status !== 200) throw httpError(`GET /v1/jobs/${id}`, answer);
      if (!isRecord(answer.body) || typeof answer.body['state'] !== 'string') {
        throw new CliError(`GET /v1/jobs/${id} answered without a job state`);
      }
      return answer.body as JobStatusResponse;
    },

    ready: () => request('GET', '/readyz', { accept: 'application/json' }),

    openJobStream,
  };
}

/** An HttpError for a non-2xx answer: status, problem title and detail, and per-field errors. */
export function httpError(what: string, answer: HttpAnswer): HttpError {
  return new HttpError(
    `${what} failed: ${describeAnswer(answer)}`,
    answer.status,
    answer.body,
    answer.status === 401 ? 'check the API key or the signing secret' : undefined,
  );
}

export function describeAnswer(answer: HttpAnswer): string {
  const { body } = answer;
  if (!isRecord(body)) {
    const text = typeof body === 'string' ? body.trim().slice(0, 200) : '';
    return `${answer.status}${text ? ` ${text}` : ''}`;
  }
  const title = typeof body['title'] === 'string' ? body['title'] : undefined;
  const detail = typeof body['detail'] === 'string' ? body['detail'] : undefined;
  const code = typeof body['code'] === 'string' ? body['code'] : undefined;
  const errors = Array.isArray(body['errors'])
    ? body['errors']
        .filter(isRecord)
        .map((e) => `\n  ${String(e['pointer'] ?? '')}: ${String(e['detail'] ?? '')}`)
        .join('')
    : '';
  return `${answer.status}${title ? ` ${title}` : ''}${code ? ` (${code})` : ''}${detail ? `: ${detail}` : ''}${errors}`;
}
