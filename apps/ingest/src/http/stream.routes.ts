import { trace, type Span } from '@opentelemetry/api';
import { carriesResult, isJobId } from '@claude-pipeline/schemas';
import { redactSecrets } from '@claude-pipeline/telemetry';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyAuthenticator } from '../auth/api-keys.ts';
import { ProblemError } from '../errors.ts';
import type { IngestMetrics } from '../metrics.ts';
import type { CatchUpTracker } from '../status/catch-up.ts';
import type { RecentlyAccepted } from '../status/recently-accepted.ts';
import type { StatusView } from '../status/status-view.ts';
import { formatComment, formatEvent, formatRetry, SSE_HEADERS } from '../stream/sse.ts';
import { nextEvents, parseLastEventId, type Cursor } from '../stream/stream-cursor.ts';
import type { StreamHub } from '../stream/stream-hub.ts';
import type { StreamTokenSigner } from '../stream/stream-token.ts';
import { RETRY_AFTER_SECONDS } from './accept.ts';

export interface StreamSettings {
  heartbeatMs: number;
  maxClients: number;
  maxDurationMs: number;
  replayWaitMs: number;
  maxBufferedBytes: number;
}

export interface StreamRouteDeps {
  auth: ApiKeyAuthenticator;
  streamTokens: StreamTokenSigner;
  streams: StreamHub;
  streamSettings: StreamSettings;
  view: StatusView;
  accepted: RecentlyAccepted;
  tracker: Pick<CatchUpTracker, 'caughtUp'>;
  metrics: IngestMetrics;
}

/** Reconnection delay a client is told to use, ms. */
const RECONNECT_MS = 1_000;

/** The signed stream URL of a job, as `POST /v1/jobs` returns it. */
export const streamUrl = (publicUrl: string | undefined, jobId: string, token: string): string =>
  `${publicUrl ?? ''}/v1/jobs/${jobId}/stream?token=${encodeURIComponent(token)}`;

const notFound = () => new ProblemError(404, { code: 'job_not_found' });

interface Caller {
  tenant: string;
  /** A time before the job's first stream record, when known (ms since the epoch). */
  sinceMs: number | undefined;
}

/**
 * Who may read this job's stream: the holder of a genuine, unexpired stream token for it, or
 * the owning tenant's API key. Another tenant's job is answered like one that does not exist.
 */
function authorize(
  request: FastifyRequest<{ Params: { id: string }; Querystring: { token?: string } }>,
  jobId: string,
  deps: StreamRouteDeps,
): Caller {
  const owner = deps.view.get(jobId)?.tenant ?? deps.accepted.get(jobId)?.tenant;
  const acceptedAt = deps.accepted.get(jobId)?.acceptedAt;
  const { token } = request.query;
  if (typeof token === 'string' && token !== '') {
    const check = deps.streamTokens.verify(token, jobId);
    if (!check.ok) {
      throw new ProblemError(401, {
        code: check.reason === 'expired' ? 'stream_token_expired' : 'invalid_stream_token',
        detail:
          check.reason === 'expired'
            ? 'The stream URL has expired; GET the job or submit again for a new one.'
            : 'The stream URL is not valid for this job.',
      });
    }
    if (owner !== undefined && owner !== check.tenant) throw notFound();
    return { tenant: check.tenant, sinceMs: check.issuedAtMs };
  }
  const tenant = deps.auth.tenantOf(request.headers.authorization);
  if (tenant === undefined) {
    throw new ProblemError(401, {
      code: 'invalid_api_key',
      detail: 'Send a valid API key as "Authorization: Bearer <key>", or use the stream_url.',
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  if (owner === undefined) {
    if (!deps.tracker.caughtUp) {
      throw new ProblemError(503, {
        code: 'status_view_loading',
        detail: 'Job states are still loading; retry shortly.',
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      });
    }
    throw notFound();
  }
  if (owner !== tenant) throw notFound();
  return { tenant, sinceMs: acceptedAt === undefined ? undefined : Date.parse(acceptedAt) };
}

/**
 * The HTTP instrumentation puts the request target, query included, on the server span: the
 * stream token would be stored in the trace backend. Overwrite it with the redacted target.
 */
export function hideTokenFromSpan(span: Span | undefined, url: string): void {
  if (span === undefined || !url.includes('?')) return;
  const target = redactSecrets(url);
  span.setAttributes({ 'http.target': target, 'url.query': target.slice(target.indexOf('?') + 1) });
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * `GET /v1/jobs/:id/stream`: the job's tokens as Server-Sent Events. Replays what was streamed
 * so far, follows live, ends with `end` (or `failed`) and closes. `Last-Event-ID` resumes after
 * that event; a new attempt is announced by one `retry` event. Any replica serves any job.
 */
export function registerStreamRoutes(app: FastifyInstance, deps: StreamRouteDeps): void {
  const { streams, metrics, streamSettings: settings } = deps;
  const track = () => {
    metrics.streamClients.set(streams.clients);
    metrics.streamJobs.set(streams.jobs);
  };

  app.get<{ Params: { id: string }; Querystring: { token?: string } }>(
    '/v1/jobs/:id/stream',
    async (request, reply) => {
      const { id } = request.params;
      hideTokenFromSpan(trace.getActiveSpan(), request.url);
      if (!isJobId(id)) throw notFound();
      const caller = authorize(request, id, deps);
      const header = request.headers['last-event-id'];
      const resumeFrom = parseLastEventId(typeof header === 'string' ? header : undefined);
      if (resumeFrom === 'invalid') {
        throw new ProblemError(400, {
          code: 'invalid_last_event_id',
          detail: 'Last-Event-ID must be an id this stream sent (<generation>.<attempt>.<seq>).',
        });
      }
      if (streams.clients >= settings.maxClients) {
        throw new ProblemError(503, {
          code: 'too_many_streams',
          detail: 'This replica serves as many streams as it may; retry shortly.',
          headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
        });
      }
      return serve(reply, id, caller, resumeFrom);
    },
  );

  async function serve(
    reply: FastifyReply,
    jobId: string,
    caller: Caller,
    resumeFrom: Cursor | undefined,
  ): Promise<FastifyReply> {
    let cursor = resumeFrom;
    let open = false;
    let ended = false;
    const timers: NodeJS.Timeout[] = [];
    const raw = reply.raw;
    // The listener may run during subscribe (a replay that is read at once): flush() does
    // nothing until the response is open, and is called once when it opens.
    const subscription = streams.subscribe(jobId, caller.tenant, caller.sinceMs, () => flush());
    if (subscription === undefined) throw notFound();
    const { stream, replayed } = subscription;
    track();
    // Also while the replay is awaited: a client that leaves then must not hold the job.
    raw.on('close', () => finish('client_closed'));

    function finish(reason: string): void {
      if (ended) return;
      ended = true;
      for (const timer of timers) clearInterval(timer);
      subscription?.close();
      track();
      metrics.streamsClosed.inc({ reason });
      if (open && !raw.destroyed) raw.end();
    }
    function flush(): void {
      if (!open || ended) return;
      const next = nextEvents(stream, cursor);
      cursor = next.cursor;
      if (next.events.length > 0) {
        raw.write(next.events.map(formatEvent).join(''));
        for (const event of next.events) metrics.streamEvents.inc({ event: event.event ?? '' });
      }
      if (next.finished) finish('finished');
      else if (raw.writableLength > settings.maxBufferedBytes) {
        // A client this far behind resumes later with Last-Event-ID rather than grow our heap.
        finish('slow_client');
        raw.destroy();
      }
    }

    let replayDone = false;
    try {
      // Replayed first when it is quick, so a finished stream can be answered as a whole.
      await Promise.race([
        replayed.then(() => {
          replayDone = true;
        }),
        delay(settings.replayWaitMs),
      ]);
    } catch (error) {
      finish('replay_failed');
      throw new ProblemError(503, {
        code: 'stream_unavailable',
        detail: 'The stream could not be read; retry shortly.',
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
        cause: error,
      });
    }
    if (ended) {
      reply.hijack();
      return reply;
    }
    const state = deps.view.get(jobId)?.state;
    if (replayDone && stream.current === undefined && state !== undefined && carriesResult(state)) {
      // Finished, and nothing of its stream is left (past retention, or it never streamed).
      finish('unavailable');
      throw new ProblemError(404, {
        code: 'stream_not_available',
        detail:
          'The job has finished and its stream is no longer kept; GET the job for its result.',
      });
    }
    const first = nextEvents(stream, cursor);
    if (first.finished && first.events.length === 0) {
      // The client has the whole stream: 204 tells EventSource not to reconnect.
      finish('finished');
      return reply.code(204).header('cache-control', 'no-store').send();
    }

    reply.hijack();
    raw.writeHead(200, SSE_HEADERS);
    raw.write(formatRetry(RECONNECT_MS));
    open = true;
    timers.push(
      setInterval(() => {
        if (!ended) raw.write(formatComment('heartbeat'));
      }, settings.heartbeatMs),
      setTimeout(() => finish('max_duration'), settings.maxDurationMs),
    );
    flush();
    return reply;
  }
}
