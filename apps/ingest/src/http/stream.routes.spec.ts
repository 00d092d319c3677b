import type { Attributes, Span } from '@opentelemetry/api';
import { contracts, encode, type StreamRecord } from '@claude-pipeline/schemas';
import { sampleStatusRecord, sampleTerminalStatus } from '@claude-pipeline/schemas/testing';
import {
  bearer,
  buildTestServer,
  NOW,
  STREAM_SECRET,
  type TestServer,
} from '../../test/server-fixture.ts';
import { abort, blockStart, delta, end, JOB, TENANT } from '../../test/stream-fixtures.ts';
import { createStreamTokenSigner } from '../stream/stream-token.ts';
import { hideTokenFromSpan } from './stream.routes.ts';

/** The events of an SSE body, as `event@id data` lines (comments and `retry:` dropped). */
function events(body: string): { id: string; event: string; data: unknown }[] {
  return body
    .split('\n\n')
    .filter((frame) => frame.includes('data:'))
    .map((frame) => {
      const fields = Object.fromEntries(
        frame.split('\n').map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon), line.slice(colon + 2)];
        }),
      );
      return {
        id: fields['id'] ?? '',
        event: fields['event'] ?? '',
        data: JSON.parse(fields['data'] ?? 'null'),
      };
    });
}

const story: StreamRecord[] = [blockStart(0), delta(1, 'Hello'), delta(2, ', world'), end(3)];

describe('GET /v1/jobs/:id/stream', () => {
  let server: TestServer;
  let history: readonly StreamRecord[];
  let now: number;
  const tokens = () =>
    createStreamTokenSigner({ secrets: [STREAM_SECRET], ttlMs: 600_000, now: () => now });

  beforeEach(async () => {
    history = story;
    now = NOW;
    server = await buildTestServer({ history: () => history, now: () => now });
    // The status view knows the job as acme's.
    const status = sampleStatusRecord({ job_id: JOB, tenant: TENANT });
    server.view.fold(JOB, Buffer.from(encode(contracts.statusRecord, status)));
  });
  afterEach(() => server.app.close());

  const open = (query: string, headers: Record<string, string> = {}) =>
    server.app.inject({ method: 'GET', url: `/v1/jobs/${JOB}/stream${query}`, headers });

  it('streams the job with a stream token: SSE headers, events in order, the end event, closed', async () => {
    const res = await open(`?token=${tokens().sign(JOB, TENANT)}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-accel-buffering']).toBe('no');
    expect(res.body.startsWith('retry: 1000\n\n')).toBe(true);
    expect(events(res.body).map((e) => `${e.event}@${e.id}`)).toEqual([
      'block_start@1.1.0',
      'delta@1.1.1',
      'delta@1.1.2',
      'end@1.1.3',
    ]);
    expect(events(res.body)[3]?.data).toMatchObject({
      stop_reason: 'end_turn',
      usage: { output_tokens: 5 },
    });
    // Replay from about when the token was issued; the job is no longer held after the close.
    expect(server.replays).toEqual([{ jobId: JOB, sinceMs: NOW }]);
    expect(server.streams.jobs).toBe(0);
    expect(
      server.metrics.registry.getSingleMetric('pipeline_ingest_streams_closed_total'),
    ).toBeDefined();
  });

  it("streams the job with the owning tenant's API key", async () => {
    const res = await open('', { authorization: bearer('acme') });
    expect(res.statusCode).toBe(200);
    expect(events(res.body)).toHaveLength(4);
  });

  it('resumes after Last-Event-ID with exactly the events that follow', async () => {
    const res = await open('', { authorization: bearer('acme'), 'last-event-id': '1.1.1' });
    expect(events(res.body).map((e) => e.id)).toEqual(['1.1.2', '1.1.3']);
  });

  it('answers 204 to a client that has the end event already, so EventSource stops', async () => {
    const res = await open('', { authorization: bearer('acme'), 'last-event-id': '1.1.3' });
    expect(res.statusCode).toBe(204);
    expect(server.streams.clients).toBe(0);
  });

  it('sends one retry event and the new attempt after a broken attempt', async () => {
    history = [
      blockStart(0),
      delta(1, 'Hel'),
      abort(2, true),
      blockStart(0, 2),
      delta(1, 'Hello', 2),
      end(2, 2),
    ];
    const res = await open('', { authorization: bearer('acme'), 'last-event-id': '1.1.1' });
    expect(events(res.body).map((e) => `${e.event}@${e.id}`)).toEqual([
      'retry@1.2.-1',
      'block_start@1.2.0',
      'delta@1.2.1',
      'end@1.2.2',
    ]);
  });

  it('ends with a failed event when the job fails for good', async () => {
    history = [blockStart(0), abort(1, false)];
    const res = await open('', { authorization: bearer('acme') });
    expect(events(res.body).map((e) => e.event)).toEqual(['block_start', 'failed']);
  });

  it('answers another tenant 404, as for a job that does not exist', async () => {
    const res = await open('', { authorization: bearer('globex') });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'job_not_found' });
    expect(server.replays).toEqual([]);
  });

  it('answers 401 without credentials or with a bad API key', async () => {
    expect((await open('')).statusCode).toBe(401);
    const res = await open('', { authorization: 'Bearer not-a-key-0123456789' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'invalid_api_key' });
  });

  it('answers 401 to a forged token', async () => {
    const forged = createStreamTokenSigner({
      secrets: ['some-other-secret-0123456789abcdefghij'],
      ttlMs: 600_000,
      now: () => now,
    }).sign(JOB, TENANT);
    const res = await open(`?token=${forged}`);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'invalid_stream_token' });
    expect(server.replays).toEqual([]);
  });

  it('answers 401 to a token of another job', async () => {
    const res = await open(`?token=${tokens().sign('another_job', TENANT)}`);
    expect(res.json()).toMatchObject({ status: 401, code: 'invalid_stream_token' });
  });

  it('answers 401 to an expired token', async () => {
    const token = tokens().sign(JOB, TENANT);
    now = NOW + 600_000;
    const res = await open(`?token=${token}`);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'stream_token_expired' });
  });

  it('answers 404 to a genuine token of another tenant for a job the view knows', async () => {
    const res = await open(`?token=${tokens().sign(JOB, 'globex')}`);
    expect(res.statusCode).toBe(404);
  });

  it('answers 404 stream_not_available for a finished job with nothing left on the topic', async () => {
    history = [];
    const done = sampleTerminalStatus('succeeded', { job_id: JOB, tenant: TENANT });
    server.view.fold(JOB, Buffer.from(encode(contracts.statusRecord, done)));
    const res = await open('', { authorization: bearer('acme') });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'stream_not_available' });
    expect(server.streams.jobs).toBe(0);
  });

  it('replays a finished job whose stream is still kept', async () => {
    const done = sampleTerminalStatus('succeeded', { job_id: JOB, tenant: TENANT });
    server.view.fold(JOB, Buffer.from(encode(contracts.statusRecord, done)));
    const res = await open('', { authorization: bearer('acme') });
    expect(res.statusCode).toBe(200);
    expect(events(res.body).at(-1)?.event).toBe('end');
  });

  it('sends heartbeat comments while it waits, and closes at the longest duration', async () => {
    await server.app.close();
    history = [blockStart(0), delta(1, 'so far')];
    server = await buildTestServer({
      history: () => history,
      stream: { heartbeatMs: 40, maxDurationMs: 300 },
    });
    const status = sampleStatusRecord({ job_id: JOB, tenant: TENANT });
    server.view.fold(JOB, Buffer.from(encode(contracts.statusRecord, status)));
    const res = await open('', { authorization: bearer('acme') });
    expect(res.statusCode).toBe(200);
    expect(res.body.match(/^: heartbeat$/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(events(res.body).map((e) => e.id)).toEqual(['1.1.0', '1.1.1']);
    expect(server.streams.jobs).toBe(0);
  });

  it('answers 400 to a Last-Event-ID it never sent', async () => {
    const res = await open('', { authorization: bearer('acme'), 'last-event-id': '42' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'invalid_last_event_id' });
  });

  it('answers 503 when the replica serves as many streams as it may', async () => {
    await server.app.close();
    server = await buildTestServer({ history: () => story, stream: { maxClients: 1 } });
    const status = sampleStatusRecord({ job_id: JOB, tenant: TENANT });
    server.view.fold(JOB, Buffer.from(encode(contracts.statusRecord, status)));
    const held = server.streams.subscribe('other_job', TENANT, undefined, () => undefined);
    const res = await open('', { authorization: bearer('acme') });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'too_many_streams' });
    held?.close();
  });
});

describe('POST /v1/jobs with stream: true', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await buildTestServer();
  });
  afterEach(() => server.app.close());

  const post = (body: unknown) =>
    server.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { authorization: bearer('acme'), 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });

  it('returns a signed stream_url that the stream endpoint accepts for that tenant', async () => {
    const res = await post({ prompt: 'Hi', stream: true });
    expect(res.statusCode).toBe(202);
    const body = res.json<{ id: string; stream_url: string }>();
    expect(body.stream_url).toMatch(new RegExp(`^/v1/jobs/${body.id}/stream\\?token=v1\\.acme\\.`));
    const token = decodeURIComponent(
      new URL(body.stream_url, 'http://x').searchParams.get('token')!,
    );
    const check = createStreamTokenSigner({
      secrets: [STREAM_SECRET],
      ttlMs: 1,
      now: () => NOW,
    }).verify(token, body.id);
    expect(check).toMatchObject({ ok: true, tenant: 'acme', expiresAtMs: NOW + 600_000 });
  });

  it('returns no stream_url without stream: true', async () => {
    const res = await post({ prompt: 'Hi' });
    expect(res.json()).not.toHaveProperty('stream_url');
  });
});

describe('stream token and traces', () => {
  it('overwrites the target the HTTP instrumentation put on the span with a redacted one', () => {
    const attributes: Attributes = {
      'http.target': '/v1/jobs/j/stream?token=v1.acme.1.2.SECRETMAC',
    };
    const span = {
      setAttributes: (a: Attributes) => Object.assign(attributes, a),
    } as unknown as Span;
    hideTokenFromSpan(span, '/v1/jobs/j/stream?token=v1.acme.1.2.SECRETMAC');
    expect(attributes).toEqual({
      'http.target': '/v1/jobs/j/stream?token=[redacted]',
      'url.query': 'token=[redacted]',
    });
  });

  it('leaves a span of a URL without a query alone', () => {
    const calls: Attributes[] = [];
    const span = { setAttributes: (a: Attributes) => calls.push(a) } as unknown as Span;
    hideTokenFromSpan(span, '/v1/jobs/j/stream');
    hideTokenFromSpan(undefined, '/v1/jobs/j/stream?token=x');
    expect(calls).toEqual([]);
  });
});
