/**
 * Live token streams against the real broker: records produced to `pipeline.stream` with
 * kafkajs exactly as the claude-worker writes them (keyed by job id, murmur2 partitioner), at a
 * slow pace, read by SSE clients of one or two ingest replicas.
 */
import { contracts, encode, type StreamRecord } from '@claude-pipeline/schemas';
import { waitFor } from '@claude-pipeline/testing';
import type { Producer } from 'kafkajs';
import type { Ingest } from '../src/ingest.ts';
import { createStreamTokenSigner } from '../src/stream/stream-token.ts';
import { startHarness, type Harness } from './ingest-harness.ts';
import { bearer, STREAM_SECRET } from './server-fixture.ts';
import { clock, openSse, textOf, type SseConnection } from './sse-client.ts';
import { abort, blockStart, delta, end } from './stream-fixtures.ts';

const PACE_MS = 60; // between two records, as a slow token rate

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i} `);

describe('live token streams (real broker)', () => {
  let harness: Harness;
  let producer: Producer;
  let replica: Ingest;
  const connections: SseConnection[] = [];

  beforeAll(async () => {
    harness = await startHarness();
    producer = await harness.producer();
    replica = await harness.startReplica();
  }, 120_000);
  afterEach(() => {
    for (const connection of connections.splice(0)) connection.close();
  });
  afterAll(async () => {
    await harness.close();
  });

  /** Submits a streaming job on the first replica: its id and signed stream URL. */
  const submit = async (key: string) => {
    const res = await fetch(`${harness.ingest.url}/v1/jobs`, {
      method: 'POST',
      headers: {
        authorization: bearer('acme'),
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify({ prompt: 'Tell a story.', stream: true }),
    });
    expect(res.status).toBe(202);
    return (await res.json()) as { id: string; stream_url: string };
  };

  const produce = async (jobId: string, records: readonly StreamRecord[], paceMs = PACE_MS) => {
    for (const record of records) {
      await producer.send({
        topic: harness.names.stream,
        acks: -1,
        messages: [
          {
            key: jobId,
            value: encode(contracts.streamRecord, { ...record, job_id: jobId, tenant: 'acme' }),
          },
        ],
      });
      if (paceMs > 0) await sleep(paceMs);
    }
  };

  const metrics = async (ingest: Ingest) => (await fetch(`${ingest.url}/metrics`)).text();

  const connect = async (url: string, headers: Record<string, string> = {}) => {
    const connection = await openSse(url, headers);
    connections.push(connection);
    return connection;
  };

  /** A text answer as the worker streams it: block start, one delta per word, end. */
  const answer = (parts: readonly string[], attempt = 1): StreamRecord[] => [
    blockStart(0, attempt),
    ...parts.map((text, i) => delta(i + 1, text, attempt)),
    end(parts.length + 1, attempt),
  ];

  it('shows the first delta well before the end, and the deltas add up to the answer', async () => {
    const job = await submit('stream-first-delta');
    const connection = await connect(`${harness.ingest.url}${job.stream_url}`);
    expect(connection.status).toBe(200);
    expect(connection.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(connection.headers.get('cache-control')).toBe('no-cache');
    expect(connection.headers.get('x-accel-buffering')).toBe('no');

    const parts = words(25, 'w');
    const producing = produce(job.id, answer(parts));
    await connection.until((events) => events.some((e) => e.event === 'delta'));
    const firstDeltaAt = clock();
    await producing;
    const endProducedAt = clock();
    await connection.closed; // the server closes after the end event
    expect(firstDeltaAt).toBeLessThan(endProducedAt - 10 * PACE_MS);
    expect(textOf(connection.events)).toBe(parts.join(''));
    const last = connection.events.at(-1);
    expect(last?.event).toBe('end');
    expect(JSON.parse(last?.data ?? '{}')).toMatchObject({
      stop_reason: 'end_turn',
      usage: { input_tokens: 10, output_tokens: 5 },
    });
  });

  it('resumes on another replica after a disconnect: exactly the missing deltas', async () => {
    const job = await submit('stream-resume');
    const parts = words(20, 'r');
    const records = answer(parts);
    const first = await connect(`${harness.ingest.url}${job.stream_url}`);
    await produce(job.id, records.slice(0, 8));
    await first.until((events) => events.length >= 8);
    first.close();
    // The replica lets go of a job whose only client left.
    await waitFor(
      async () =>
        /^pipeline_ingest_stream_jobs(\{[^}]*\})? 0$/m.test(await metrics(harness.ingest)),
      { description: 'no stream held after the disconnect' },
    );
    const seen = [...first.events];
    const lastId = seen.at(-1)?.id ?? '';
    expect(lastId).toBe('1.1.7');

    // Produced while nobody watches; then the browser reconnects (any replica, the same URL).
    await produce(job.id, records.slice(8, 14));
    const second = await connect(`${replica.url}${job.stream_url}`, { 'last-event-id': lastId });
    await produce(job.id, records.slice(14));
    await second.closed;
    const ids = [...seen, ...second.events].map((e) => e.id);
    expect(ids).toEqual(records.map((_, seq) => `1.1.${seq}`));
    expect(textOf([...seen, ...second.events])).toBe(parts.join(''));
  });

  it('replays a finished stream whole to a client that comes late', async () => {
    const job = await submit('stream-late');
    const parts = words(10, 'l');
    await produce(job.id, answer(parts), 0);
    const connection = await connect(`${replica.url}${job.stream_url}`);
    await connection.closed;
    expect(textOf(connection.events)).toBe(parts.join(''));
    expect(connection.events.at(-1)?.event).toBe('end');
    // Bounded memory: the replica holds a job only while a client reads it.
    await waitFor(
      async () => /^pipeline_ingest_stream_jobs(\{[^}]*\})? 0$/m.test(await metrics(replica)),
      {
        description: 'no stream held on the replica',
      },
    );
  });

  it('a broken attempt that is retried shows one retry event, then the whole new answer', async () => {
    const job = await submit('stream-retry');
    const connection = await connect(`${harness.ingest.url}${job.stream_url}`);
    const broken = [blockStart(0), delta(1, 'Once upon'), delta(2, ' a ti'), abort(3, true)];
    const parts = words(12, 'a2-');
    await produce(job.id, broken);
    await produce(job.id, answer(parts, 2));
    await connection.closed;
    const names = connection.events.map((e) => e.event);
    expect(names.filter((n) => n === 'retry')).toHaveLength(1);
    const retryAt = names.indexOf('retry');
    const after = connection.events.slice(retryAt + 1);
    expect(textOf(after)).toBe(parts.join(''));
    expect(after.every((e) => e.id.startsWith('1.2.'))).toBe(true);
    expect(connection.events.slice(0, retryAt).every((e) => e.id.startsWith('1.1.'))).toBe(true);
    expect(names.at(-1)).toBe('end');
  });

  it('serves the owning tenant by API key, and answers another tenant 404', async () => {
    const job = await submit('stream-bearer');
    const other = await fetch(`${harness.ingest.url}/v1/jobs/${job.id}/stream`, {
      headers: { authorization: bearer('globex') },
    });
    expect(other.status).toBe(404);
    const parts = words(5, 'b');
    await produce(job.id, answer(parts), 0);
    const connection = await connect(`${harness.ingest.url}/v1/jobs/${job.id}/stream`, {
      authorization: bearer('acme'),
    });
    await connection.closed;
    expect(textOf(connection.events)).toBe(parts.join(''));
  });

  it('answers 401 to a forged or expired stream token', async () => {
    const job = await submit('stream-tokens');
    const forged = createStreamTokenSigner({
      secrets: ['not-the-shared-secret-0123456789abcdefgh'],
      ttlMs: 60_000,
      now: Date.now,
    }).sign(job.id, 'acme');
    const expired = createStreamTokenSigner({
      secrets: [STREAM_SECRET],
      ttlMs: 60_000,
      now: () => Date.now() - 120_000,
    }).sign(job.id, 'acme');
    for (const [token, code] of [
      [forged, 'invalid_stream_token'],
      [expired, 'stream_token_expired'],
    ] as const) {
      const res = await fetch(`${replica.url}/v1/jobs/${job.id}/stream?token=${token}`);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe(code);
    }
  });
});
