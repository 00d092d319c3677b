/**
 * The job API against the real broker: 202 only once the event is on `pipeline.events` (with
 * its trace and correlation headers), ids per (tenant, idempotency key), bad input rejected with
 * nothing written, and `GET /v1/jobs/:id` following `pipeline.status` for the owning tenant.
 */
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { contracts, decode, encode, type StatusRecord } from '@claude-pipeline/schemas';
import { sampleSucceededResult } from '@claude-pipeline/schemas/testing';
import { startTelemetry, type Telemetry } from '@claude-pipeline/telemetry';
import { waitFor } from '@claude-pipeline/testing';
import type { Producer } from 'kafkajs';
import type { Ingest } from '../src/ingest.ts';
import { startHarness, type Harness } from './ingest-harness.ts';
import { bearer } from './server-fixture.ts';

describe('job API (real broker)', () => {
  let telemetry: Telemetry;
  let harness: Harness;
  let producer: Producer;

  beforeAll(async () => {
    telemetry = startTelemetry({
      serviceName: 'ingest-test',
      spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })],
      handleSignals: false,
    });
    harness = await startHarness();
    producer = await harness.producer();
  });
  afterAll(async () => {
    await harness.close();
    await telemetry.shutdown();
  });

  const submit = (
    body: unknown,
    headers: Record<string, string> = {},
    tenant: 'acme' | 'globex' = 'acme',
    ingest: Ingest = harness.ingest,
  ) =>
    fetch(`${ingest.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: bearer(tenant), 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  const get = (id: string, tenant: 'acme' | 'globex' = 'acme', ingest: Ingest = harness.ingest) =>
    fetch(`${ingest.url}/v1/jobs/${id}`, { headers: { authorization: bearer(tenant) } });

  const idOf = async (res: Response) => ((await res.json()) as { id: string }).id;

  it('answers 202 after the event is on pipeline.events with trace and correlation headers', async () => {
    // The caller's trace: the fetch instrumentation (started above, as in every service) sends
    // `traceparent` of a child of this span.
    const span = trace.getTracer('test').startSpan('client', { root: true });
    const { traceId } = span.spanContext();
    const res = await context.with(trace.setSpan(context.active(), span), () =>
      submit(
        { prompt: 'Summarise the changelog.', mode: 'batch' },
        { 'idempotency-key': 'order-1', 'correlation-id': 'corr-int-1' },
      ),
    );
    span.end();
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; status_url: string };
    expect(body.status_url).toBe(`/v1/jobs/${body.id}`);

    // Acked before the answer: the record is there now, no waiting.
    const records = await harness.readAll(harness.names.events);
    const record = records.find((r) => r.headers['ce_subject'] === body.id);
    expect(record).toBeDefined();
    expect(record!.key).toBe('acme:api:order-1');
    expect(record!.headers['correlation-id']).toBe('corr-int-1');
    expect(record!.headers['traceparent']).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const event = decode(contracts.eventRecord, record!.value);
    expect(event.job).toMatchObject({ job_id: body.id, tenant: 'acme', mode: 'batch' });
  });

  it('gives a repeated Idempotency-Key the same id, and two tenants two ids', async () => {
    const acme = await idOf(await submit({ prompt: 'a' }, { 'idempotency-key': 'shared-key' }));
    const repeat = await idOf(await submit({ prompt: 'a' }, { 'idempotency-key': 'shared-key' }));
    const globex = await idOf(
      await submit({ prompt: 'a' }, { 'idempotency-key': 'shared-key' }, 'globex'),
    );
    expect(repeat).toBe(acme);
    expect(globex).not.toBe(acme);
    const records = await harness.readAll(harness.names.events);
    const keys = records.filter((r) => r.key?.endsWith(':api:shared-key')).map((r) => r.key);
    expect(keys.sort()).toEqual([
      'acme:api:shared-key',
      'acme:api:shared-key',
      'globex:api:shared-key',
    ]);
  });

  it('rejects bad input with its status and writes nothing to Kafka', async () => {
    const before = await harness.count(harness.names.events);
    const cases: [string, () => Promise<Response>, number][] = [
      [
        'no API key',
        () =>
          fetch(`${harness.ingest.url}/v1/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"prompt":"x"}',
          }),
        401,
      ],
      [
        'unknown API key',
        () => submit({ prompt: 'x' }, { authorization: 'Bearer wrong-key-0123456789abc' }),
        401,
      ],
      ['malformed JSON', () => submit('{"prompt":'), 400],
      ['wrong content type', () => submit('prompt=x', { 'content-type': 'text/plain' }), 415],
      ['body over 1 MB', () => submit({ prompt: 'x'.repeat(1024 * 1024) }), 413],
      ['schema-invalid', () => submit({ prompt: 'x', max_tokens: -1 }), 422],
      ['unknown field', () => submit({ prompt: 'x', max_token: 5 }), 422],
    ];
    for (const [name, send, status] of cases) {
      const res = await send();
      expect({ name, status: res.status }).toEqual({ name, status });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await harness.count(harness.names.events)).toBe(before);
  });

  const statusRecord = (id: string, overrides: Partial<StatusRecord>): StatusRecord => ({
    schema_version: 1,
    job_id: id,
    tenant: 'acme',
    correlation_id: 'corr-life',
    generation: 1,
    state: 'accepted',
    mode: 'realtime',
    has_callback: false,
    updated_at: new Date().toISOString(),
    attempts: [],
    ...overrides,
  });

  // Partition 0 for every record of these tests, so they are read in the order written (the
  // view keys by the value's job id, whatever the partition).
  const writeStatus = (...records: StatusRecord[]) =>
    producer.send({
      topic: harness.names.status,
      acks: -1,
      messages: records.map((record) => ({
        key: record.job_id,
        value: encode(contracts.statusRecord, record),
        partition: 0,
      })),
    });

  const stateOf = async (id: string, tenant: 'acme' | 'globex' = 'acme', ingest?: Ingest) => {
    const res = await get(id, tenant, ingest);
    return res.status === 200 ? ((await res.json()) as { state: string }).state : res.status;
  };

  it('GET /v1/jobs/:id moves from accepted to later states as status records arrive', async () => {
    const id = await idOf(await submit({ prompt: 'life' }, { 'idempotency-key': 'life-1' }));
    // Right after the 202, before dedupe wrote anything: accepted, from this replica.
    expect(await stateOf(id)).toBe('accepted');

    await writeStatus(statusRecord(id, { state: 'accepted' }));
    await writeStatus(statusRecord(id, { state: 'queued' }));
    await waitFor(async () => (await stateOf(id)) === 'queued', { description: 'queued' });

    await writeStatus(
      statusRecord(id, {
        state: 'processing',
        attempts: [
          { kind: 'processing', number: 1, at: new Date().toISOString(), outcome: 'retrying' },
        ],
      }),
    );
    await waitFor(async () => (await stateOf(id)) === 'processing', { description: 'processing' });

    const {
      job_id: _j,
      tenant: _t,
      correlation_id: _c,
      generation: _g,
      schema_version: _s,
      ...result
    } = sampleSucceededResult({ job_id: id });
    await writeStatus(statusRecord(id, { state: 'succeeded', result }));
    await waitFor(async () => (await stateOf(id)) === 'succeeded', { description: 'succeeded' });
    // A late record of a lower rank does not move it back (read once the marker after it is).
    const marker = 'marker-job';
    await writeStatus(statusRecord(id, { state: 'processing' }), statusRecord(marker, {}));
    await waitFor(async () => (await stateOf(marker)) === 'accepted', { description: 'marker' });
    const body = (await (await get(id)).json()) as {
      state: string;
      attempts: unknown[];
      result: { status: string };
    };
    expect(body.result.status).toBe('succeeded');
    expect(body.attempts).toHaveLength(1);
    expect(await stateOf(id)).toBe('succeeded');

    // Another tenant: 404, as for a job that does not exist.
    expect(await stateOf(id, 'globex')).toBe(404);
    expect(await stateOf('no-such-job')).toBe(404);
  });

  it('a new replica loads the whole view, transactional records included, before it is ready', async () => {
    const id = await idOf(await submit({ prompt: 'tx' }, { 'idempotency-key': 'tx-1' }));
    // As dedupe writes `accepted`: inside a transaction (a commit marker ends the partition).
    const tx = harness.kafka.producer({
      transactionalId: `${harness.prefix}-tx`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await tx.connect();
    try {
      const transaction = await tx.transaction();
      await transaction.send({
        topic: harness.names.status,
        messages: [
          { key: id, value: encode(contracts.statusRecord, statusRecord(id, { state: 'queued' })) },
        ],
      });
      await transaction.commit();
    } finally {
      await tx.disconnect();
    }

    const replica = await harness.startReplica();
    await waitFor(async () => (await fetch(`${replica.url}/readyz`)).status === 200, {
      description: 'replica ready',
    });
    // The replica never saw the POST: its answer comes from pipeline.status alone.
    expect(await stateOf(id, 'acme', replica)).toBe('queued');
    expect(await stateOf(id, 'globex', replica)).toBe(404);
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    expect((await fetch(`${harness.ingest.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${harness.ingest.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: { kafka: { ok: true }, topics: { ok: true }, status_view: { ok: true } },
    });
    const metrics = await (await fetch(`${harness.ingest.url}/metrics`)).text();
    expect(metrics).toContain('pipeline_ingest_events_total{source="api",outcome="accepted"');
    expect(metrics).toContain('pipeline_kafka_produce_duration_seconds_bucket');
  });
});
