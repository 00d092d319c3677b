/**
 * Kafka down: with its broker stopped (a throwaway broker of the harness, never the shared
 * one), `POST /v1/jobs` answers 503 within a bounded time instead of a 2xx for an event Kafka
 * does not have, `/readyz` says not ready, and both recover when the broker is back.
 */
import { startThrowawayBroker, waitFor, type ThrowawayBroker } from '@claude-pipeline/testing';
import { startHarness, type Harness } from './ingest-harness.ts';
import { bearer } from './server-fixture.ts';

const PUBLISH_TIMEOUT_MS = 2_000;
/** What a 503 may take beyond the publish timeout (HTTP, scheduling). */
const MARGIN_MS = 1_500;

describe('Kafka outage (throwaway broker)', () => {
  let broker: ThrowawayBroker | undefined;
  let harness: Harness | undefined;

  beforeAll(async () => {
    broker = await startThrowawayBroker();
    harness = await startHarness({
      brokers: broker.brokers,
      config: { publishTimeoutMs: PUBLISH_TIMEOUT_MS, readyTimeoutMs: 1_000 },
    });
  }, 240_000);

  afterAll(async () => {
    await harness?.close();
    await broker?.destroy();
  }, 120_000);

  const submit = (key: string) =>
    fetch(`${harness!.ingest.url}/v1/jobs`, {
      method: 'POST',
      headers: {
        authorization: bearer('acme'),
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify({ prompt: `job ${key}` }),
    });

  it('answers 503 within a bounded time while the broker is down, and recovers', async () => {
    const h = harness!;
    expect((await submit('before')).status).toBe(202);

    await broker!.stop();
    for (const key of ['down-1', 'down-2']) {
      const started = Date.now();
      const res = await submit(key);
      const elapsed = Date.now() - started;
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ status: 503, code: 'kafka_unavailable' });
      expect(elapsed).toBeLessThan(PUBLISH_TIMEOUT_MS + MARGIN_MS);
    }
    const notReady = await fetch(`${h.ingest.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ checks: { kafka: { ok: false } } });

    await broker!.start();
    const recovered = await waitFor(
      async () => {
        const res = await submit('after');
        return res.status === 202 ? ((await res.json()) as { id: string }) : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'a 202 after the broker is back' },
    );
    await waitFor(async () => (await fetch(`${h.ingest.url}/readyz`)).status === 200, {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: 'ready again',
    });

    // What got a 202 is on the topic.
    const records = await h.readAll(h.names.events);
    const subjects = records.map((r) => r.headers['ce_subject']);
    expect(subjects).toContain(recovered.id);
    expect(records.filter((r) => r.key === 'acme:api:before')).toHaveLength(1);
  }, 180_000);
});
