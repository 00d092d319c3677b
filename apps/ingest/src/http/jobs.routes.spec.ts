import {
  contracts,
  decode,
  JOB_ID_PATTERN,
  PROBLEM_CONTENT_TYPE,
  type StatusRecord,
} from '@claude-pipeline/schemas';
import { sampleSucceededResult } from '@claude-pipeline/schemas/testing';
import {
  API_KEYS,
  bearer,
  buildTestServer,
  NOW,
  type TestServer,
} from '../../test/server-fixture.ts';
import { PublishUnavailableError, RecordTooLargeError } from '../errors.ts';

const submission = { prompt: 'Summarise the changelog.' };

describe('POST /v1/jobs', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await buildTestServer();
  });
  afterEach(() => server.app.close());

  const post = (
    body: unknown,
    headers: Record<string, string> = {},
    tenant: 'acme' | 'globex' = 'acme',
  ) =>
    server.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { authorization: bearer(tenant), 'content-type': 'application/json', ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('answers 202 with the job id and status URL once the event is published', async () => {
    const res = await post(submission, { 'idempotency-key': 'order-1' });
    expect(res.statusCode).toBe(202);
    const body = res.json<{ id: string; status_url: string }>();
    expect(body.id).toMatch(JOB_ID_PATTERN);
    expect(body.status_url).toBe(`/v1/jobs/${body.id}`);
    expect(res.headers['location']).toBe(body.status_url);
    expect(server.publisher.events).toHaveLength(1);
  });

  it('publishes an event record with server defaults applied', async () => {
    await post(submission, { 'idempotency-key': 'order-1', 'correlation-id': 'corr-42' });
    const [event] = server.publisher.events;
    const record = decode(contracts.eventRecord, event!.value);
    expect(record).toMatchObject({
      tenant: 'acme',
      idempotency_key: 'api:order-1',
      source: { kind: 'api', name: 'api' },
      event_type: 'job.submitted',
      received_at: new Date(NOW).toISOString(),
      job: {
        tenant: 'acme',
        correlation_id: 'corr-42',
        generation: 1,
        mode: 'realtime',
        task_class: 'default',
        max_tokens: 1024,
        stream: false,
        messages: [{ role: 'user', content: 'Summarise the changelog.' }],
      },
    });
    expect(event!.key).toBe('acme:api:order-1');
    expect(event!.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_type: contracts.eventRecord.ceType,
      ce_source: '/claude-pipeline/ingest',
      ce_subject: record.job.job_id,
      'content-type': 'application/json',
      'correlation-id': 'corr-42',
    });
  });

  it('keeps what the client asked for: model, system, mode, callback, metadata', async () => {
    await post({
      messages: [{ role: 'user', content: 'Hi' }],
      system: 'Be brief.',
      model: 'claude-sonnet-4-5',
      max_tokens: 200,
      mode: 'batch',
      callback_url: 'https://hooks.example.com/done',
      metadata: { order: '7' },
    });
    const record = decode(contracts.eventRecord, server.publisher.events[0]!.value);
    expect(record.job).toMatchObject({
      model: 'claude-sonnet-4-5',
      system: 'Be brief.',
      max_tokens: 200,
      mode: 'batch',
      callback: { url: 'https://hooks.example.com/done' },
      metadata: { order: '7' },
    });
    expect(record.job.task_class).toBeUndefined();
  });

  it('gives a repeat of an Idempotency-Key the same id', async () => {
    const first = (await post(submission, { 'idempotency-key': 'k-1' })).json<{ id: string }>();
    const again = (await post(submission, { 'idempotency-key': 'k-1' })).json<{ id: string }>();
    expect(again.id).toBe(first.id);
  });

  it('gives the same Idempotency-Key of two tenants two ids', async () => {
    const acme = (await post(submission, { 'idempotency-key': 'k-1' }, 'acme')).json<{
      id: string;
    }>();
    const globex = (await post(submission, { 'idempotency-key': 'k-1' }, 'globex')).json<{
      id: string;
    }>();
    expect(globex.id).not.toBe(acme.id);
  });

  it('gives every submission without an Idempotency-Key its own id', async () => {
    const a = (await post(submission)).json<{ id: string }>();
    const b = (await post(submission)).json<{ id: string }>();
    expect(a.id).not.toBe(b.id);
  });

  it('accepts a quoted (structured-field) Idempotency-Key as the bare key', async () => {
    const quoted = (await post(submission, { 'idempotency-key': '"k-9"' })).json<{ id: string }>();
    const bare = (await post(submission, { 'idempotency-key': 'k-9' })).json<{ id: string }>();
    expect(quoted.id).toBe(bare.id);
  });

  describe('bad input: a problem, nothing published', () => {
    afterEach(() => {
      expect(server.publisher.events).toHaveLength(0);
    });

    const expectProblem = (res: Awaited<ReturnType<typeof post>>, status: number, code: string) => {
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toContain(PROBLEM_CONTENT_TYPE);
      expect(res.json()).toMatchObject({ type: 'about:blank', status, code });
    };

    it('no API key is a 401 asking for a bearer token', async () => {
      const res = await server.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(submission),
      });
      expectProblem(res, 401, 'invalid_api_key');
      expect(res.headers['www-authenticate']).toBe('Bearer');
    });

    it('an unknown API key is a 401', async () => {
      expectProblem(
        await post(submission, { authorization: 'Bearer not-a-key-0123456789' }),
        401,
        'invalid_api_key',
      );
    });

    it('a key under another auth scheme is a 401', async () => {
      expectProblem(
        await post(submission, { authorization: `Basic ${API_KEYS[0]!.key}` }),
        401,
        'invalid_api_key',
      );
    });

    it('malformed JSON is a 400', async () => {
      expectProblem(await post('{"prompt": '), 400, 'malformed_json');
    });

    it('an empty body is a 400', async () => {
      expectProblem(await post(''), 400, 'malformed_json');
    });

    it('another content type is a 415', async () => {
      expectProblem(
        await post('prompt=hi', { 'content-type': 'application/x-www-form-urlencoded' }),
        415,
        'unsupported_media_type',
      );
    });

    it('a body over the limit is a 413', async () => {
      await server.app.close();
      server = await buildTestServer({ bodyLimitBytes: 100 });
      expectProblem(await post({ prompt: 'x'.repeat(200) }), 413, 'body_too_large');
    });

    it('a schema-invalid body is a 422 naming each field', async () => {
      const res = await post({ prompt: 'hi', max_token: 5, mode: 'later' });
      expectProblem(res, 422, 'invalid_job_submission');
      const pointers = res.json<{ errors: { pointer: string }[] }>().errors.map((e) => e.pointer);
      expect(pointers).toEqual(expect.arrayContaining(['/mode']));
      expect(pointers.length).toBeGreaterThanOrEqual(2);
    });

    it('neither prompt nor messages is a 422', async () => {
      expectProblem(await post({ max_tokens: 10 }), 422, 'invalid_job_submission');
    });

    it('an Idempotency-Key of control characters or over 180 characters is a 400', async () => {
      expectProblem(
        await post(submission, { 'idempotency-key': 'x'.repeat(181) }),
        400,
        'invalid_idempotency_key',
      );
    });

    it('Kafka not acknowledging is a 503 with Retry-After', async () => {
      server.publisher.behaviour = async () => {
        throw new PublishUnavailableError('no ack');
      };
      const res = await post(submission);
      expectProblem(res, 503, 'kafka_unavailable');
      expect(res.headers['retry-after']).toBe('5');
    });

    it('a record Kafka refuses as too large is a 413', async () => {
      server.publisher.behaviour = async () => {
        throw new RecordTooLargeError('too large');
      };
      expectProblem(await post(submission), 413, 'record_too_large');
    });
  });

  it('uses the public URL for status_url when one is configured', async () => {
    await server.app.close();
    server = await buildTestServer({ publicUrl: 'https://api.example.com' });
    const body = (await post(submission)).json<{ id: string; status_url: string }>();
    expect(body.status_url).toBe(`https://api.example.com/v1/jobs/${body.id}`);
  });

  it('counts accepted and rejected submissions', async () => {
    await post(submission);
    await post('{');
    const text = await server.metrics.registry.metrics();
    expect(text).toContain('pipeline_ingest_events_total{source="api",outcome="accepted"');
    expect(text).toContain('pipeline_ingest_events_total{source="api",outcome="rejected"');
  });
});

describe('GET /v1/jobs/:id', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await buildTestServer();
  });
  afterEach(() => server.app.close());

  const get = (id: string, tenant: 'acme' | 'globex' = 'acme') =>
    server.app.inject({
      method: 'GET',
      url: `/v1/jobs/${id}`,
      headers: { authorization: bearer(tenant) },
    });

  const submit = async (): Promise<string> => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { authorization: bearer('acme'), 'content-type': 'application/json' },
      payload: JSON.stringify({ prompt: 'hi' }),
    });
    return res.json<{ id: string }>().id;
  };

  const status = (id: string, overrides: Partial<StatusRecord> = {}): Buffer =>
    Buffer.from(
      JSON.stringify({
        schema_version: 1,
        job_id: id,
        tenant: 'acme',
        correlation_id: 'corr-1',
        generation: 1,
        state: 'queued',
        mode: 'realtime',
        has_callback: false,
        updated_at: '2026-03-01T12:00:01.000Z',
        attempts: [],
        ...overrides,
      }),
    );

  it('answers accepted for a job this replica just accepted', async () => {
    const id = await submit();
    const res = await get(id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, state: 'accepted', generation: 1, attempts: [] });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers from the status view once it has the job', async () => {
    const id = await submit();
    server.view.fold(id, status(id, { state: 'processing' }));
    expect((await get(id)).json()).toMatchObject({ id, state: 'processing' });
  });

  it('includes the result from succeeded on', async () => {
    const id = await submit();
    const {
      job_id: _j,
      tenant: _t,
      correlation_id: _c,
      generation: _g,
      schema_version: _s,
      ...result
    } = sampleSucceededResult({ job_id: id });
    server.view.fold(id, status(id, { state: 'succeeded', result }));
    const body = (await get(id)).json<{ state: string; result: { status: string } }>();
    expect(body.state).toBe('succeeded');
    expect(body.result.status).toBe('succeeded');
  });

  it("answers 404 for another tenant's job, as for a job that does not exist", async () => {
    const id = await submit();
    expect((await get(id, 'globex')).statusCode).toBe(404);
    server.view.fold(id, status(id));
    const other = await get(id, 'globex');
    const missing = await get('no-such-job', 'globex');
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual(missing.json());
  });

  it('answers 404 for an id that cannot be a job id', async () => {
    expect((await get('a'.repeat(65))).statusCode).toBe(404);
  });

  it('answers 503 while the view is still loading and does not have the job', async () => {
    await server.app.close();
    server = await buildTestServer({ caughtUp: false });
    const res = await get('unknown-job');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'status_view_loading' });
  });

  it('needs an API key', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/v1/jobs/x' });
    expect(res.statusCode).toBe(401);
  });
});
