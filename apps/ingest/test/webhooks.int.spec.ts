/**
 * Webhooks against the real broker: every scheme's correctly signed delivery ends up on
 * `pipeline.events` (key, CloudEvents headers, correlation id, the job); every bad input gets
 * its status and leaves the topic untouched (checked by reading the topic).
 */
import { contracts, decode, PROBLEM_CONTENT_TYPE } from '@claude-pipeline/schemas';
import { startHarness, type Harness } from './ingest-harness.ts';
import {
  samplePayload,
  signedHeaders,
  SOURCE_NAMES,
  SOURCES,
  type SignOptions,
  type SourceName,
} from './webhook-fixtures.ts';

describe('POST /v1/webhooks/:source (real broker)', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness.close();
  });

  const post = (source: string, body: string, headers: Record<string, string>) =>
    fetch(`${harness.ingest.url}/v1/webhooks/${source}`, { method: 'POST', headers, body });

  const deliver = (source: SourceName, payload: unknown, options: SignOptions = {}) => {
    const body = JSON.stringify(payload);
    return post(source, body, signedHeaders(source, body, options));
  };

  it('accepts a correctly signed delivery of every scheme and its event is on pipeline.events', async () => {
    const accepted = new Map<SourceName, string>();
    for (const source of SOURCE_NAMES) {
      const res = await deliver(source, samplePayload(source), { deliveryId: `d-${source}` });
      expect(res.status).toBe(202);
      accepted.set(source, ((await res.json()) as { id: string }).id);
    }

    const records = await harness.readAll(harness.names.events);
    expect(records).toHaveLength(SOURCE_NAMES.length);
    for (const source of SOURCE_NAMES) {
      const record = records.find((r) => r.value?.includes(`"name":"${source}"`));
      expect(record).toBeDefined();
      const event = decode(contracts.eventRecord, record!.value);
      const tenant = SOURCES.sources[source].tenant;
      expect(event.job.job_id).toBe(accepted.get(source));
      expect(event.tenant).toBe(tenant);
      expect(record!.key).toBe(`${tenant}:${event.idempotency_key}`);
      expect(record!.headers).toMatchObject({
        ce_specversion: '1.0',
        ce_type: contracts.eventRecord.ceType,
        ce_source: '/claude-pipeline/ingest',
        ce_subject: event.job.job_id,
        'content-type': 'application/json',
        'correlation-id': event.job.correlation_id,
      });
      // Untrusted content only in the user prompt, between the delimiters.
      expect(event.job.system).toBe('You are a careful assistant. Trusted configuration only.');
      expect(event.job.messages[0]!.content).toContain('<untrusted_webhook_data>');
    }
  });

  it('answers every bad input with its status and a problem, and writes nothing to Kafka', async () => {
    const before = await harness.count(harness.names.events);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const github = JSON.stringify(samplePayload('github'));
    const cases: [string, () => Promise<Response>, number][] = [
      [
        'no signature',
        () =>
          post('github', github, {
            'content-type': 'application/json',
            'x-github-event': 'pull_request',
            'x-github-delivery': 'x',
          }),
        401,
      ],
      ['wrong secret', () => deliver('github', samplePayload('github'), { secret: 'nope' }), 401],
      [
        'timestamp too old',
        () => deliver('stripe', samplePayload('stripe'), { timestamp: nowSeconds - 3600 }),
        401,
      ],
      [
        'timestamp in the future',
        () => deliver('billing', samplePayload('billing'), { timestamp: nowSeconds + 3600 }),
        401,
      ],
      [
        'body over 1 MB',
        () => deliver('github', { ...samplePayload('github'), pad: 'x'.repeat(1024 * 1024) }),
        413,
      ],
      [
        'wrong content type',
        () =>
          post('github', github, {
            ...signedHeaders('github', github),
            'content-type': 'text/plain',
          }),
        415,
      ],
      [
        'malformed JSON (signed)',
        () => post('shop', '{"topic":', signedHeaders('shop', '{"topic":')),
        400,
      ],
      [
        'payload without its delivery id',
        () => deliver('stripe', { type: 'invoice.payment_failed', data: {} }),
        422,
      ],
      ['unknown source', () => post('nope', '{}', { 'content-type': 'application/json' }), 404],
    ];
    for (const [name, send, status] of cases) {
      const res = await send();
      expect({ name, status: res.status }).toEqual({ name, status });
      expect(res.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
    }

    // Acknowledged but not enqueued: an event type without a route, a route's filter.
    const ping = JSON.stringify({ zen: 'hi' });
    const ignored = await post('github', ping, {
      ...signedHeaders('github', ping),
      'x-github-event': 'ping',
    });
    expect(ignored.status).toBe(200);
    expect(await ignored.json()).toMatchObject({ status: 'ignored' });
    const filtered = await deliver('github', { ...samplePayload('github'), action: 'closed' });
    expect(filtered.status).toBe(200);

    expect(await harness.count(harness.names.events)).toBe(before);
  });

  it('gives a redelivery the same job id (both are on the topic; dedupe drops the second)', async () => {
    const before = await harness.count(harness.names.events);
    const payload = samplePayload('billing');
    const first = await deliver('billing', payload, { deliveryId: 'same' });
    const again = await deliver('billing', payload, { deliveryId: 'same' });
    const a = (await first.json()) as { id: string };
    const b = (await again.json()) as { id: string };
    expect(b.id).toBe(a.id);
    expect(await harness.count(harness.names.events)).toBe(before + 2);
  });
});
