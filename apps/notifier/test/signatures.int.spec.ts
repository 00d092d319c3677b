import { contracts, parse } from '@claude-pipeline/schemas';
import { SAMPLE_TRACEPARENT } from '@claude-pipeline/schemas/testing';
import type { Notifier } from '../src/notifier.ts';
import { resultFor, startHarness, statusesOf, waitFor, type Harness } from './support/harness.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';

describe('signed callbacks (real broker, standardwebhooks receivers)', () => {
  let h: Harness;
  let notifier: Notifier;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('with two secrets configured, a receiver knowing only the old one and one knowing only the new one both verify every delivery', async () => {
    const [newer, older] = h.secrets.acme as [string, string];
    const knowsNew = await startReceiver({ secrets: [newer] });
    const knowsOld = await startReceiver({ secrets: [older] });
    receivers.push(knowsNew, knowsOld);
    notifier = await h.start();
    const statuses = await h.read(h.names.status);

    const toNew = Array.from({ length: 5 }, () =>
      resultFor(`${knowsNew.url}/hooks/new?x=1`, 'new'),
    );
    const toOld = Array.from({ length: 5 }, () => resultFor(`${knowsOld.url}/hooks/old`, 'old'));
    const noCallback = resultFor(undefined, 'none');
    await h.sendResults([...toNew, ...toOld, noCallback]);

    await waitFor(() => knowsNew.received.length === 5 && knowsOld.received.length === 5, {
      timeoutMs: 20_000,
      description: '10 deliveries',
    });
    for (const [receiver, results] of [
      [knowsNew, toNew],
      [knowsOld, toOld],
    ] as const) {
      expect(receiver.received.every((r) => r.verified && r.status === 200)).toBe(true);
      for (const result of results) {
        const delivery = receiver.received.find((r) => r.id === `${result.job_id}.1`);
        expect(delivery).toBeDefined();
        const payload = parse(contracts.callbackPayload, delivery!.json);
        expect(payload).toMatchObject({
          type: 'job.succeeded',
          data: { job_id: result.job_id, generation: 1, correlation_id: result.correlation_id },
        });
        expect(delivery!.headers['correlation-id']).toBe(result.correlation_id);
        expect(delivery!.headers['content-type']).toBe('application/json');
        // The job's trace continues into the callback.
        expect(String(delivery!.headers['traceparent'])).toContain(
          SAMPLE_TRACEPARENT.split('-')[1],
        );
        // One signature per configured secret.
        expect(String(delivery!.headers['webhook-signature']).split(' ')).toHaveLength(2);
      }
    }

    // delivering, then delivered with the attempt, for every job with a callback.
    await waitFor(
      () =>
        [...toNew, ...toOld].every((r) =>
          statusesOf(statuses, r.job_id).some((s) => s.state === 'delivered'),
        ),
      { description: 'delivered status of every job' },
    );
    const one = statusesOf(statuses, toNew[0]!.job_id);
    expect(one.map((s) => s.state)).toEqual(['delivering', 'delivered']);
    expect(one[1]!.attempts).toEqual([
      expect.objectContaining({
        kind: 'delivery',
        number: 1,
        outcome: 'succeeded',
        http_status: 200,
      }),
    ]);

    // The result without a callback is skipped and counted, and has no status from us.
    await waitFor(
      async () =>
        (await notifier.metrics.recordsProcessed.get()).values.some(
          (v) => v.labels['outcome'] === 'skipped' && v.value === 1,
        ),
      { description: 'one skipped result counted' },
    );
    expect(statusesOf(statuses, noCallback.job_id)).toEqual([]);
  });

  it('serves health, readiness and metrics', async () => {
    await waitFor(() => notifier.ready, { description: 'ready' });
    expect((await fetch(`${notifier.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${notifier.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${notifier.url}/metrics`)).text();
    expect(metrics).toContain('pipeline_deliveries_total{outcome="2xx",service="notifier"} 10');
    expect(metrics).toContain('pipeline_delivery_duration_seconds_bucket');
    expect(metrics).toContain('pipeline_notifier_open_circuits');
    await waitFor(
      async () =>
        (await (await fetch(`${notifier.url}/metrics`)).text()).includes(
          'pipeline_retry_depth_records{topic=',
        ),
      { description: 'retry-stage depth published' },
    );
    expect(metrics).not.toContain('whsec_');
    await notifier.stop();
    expect(notifier.ready).toBe(false);
  });
});
