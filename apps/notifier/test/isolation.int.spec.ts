import { resultFor, startHarness, statusesOf, waitFor, type Harness } from './support/harness.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';

const TIMEOUT_MS = 5_000;

describe('per-destination isolation (real broker)', () => {
  let h: Harness;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('with one endpoint hanging until a 5 s timeout, every delivery to a healthy endpoint queued at the same moment completes before that timeout fires', async () => {
    const hanging = await startReceiver({ respond: () => 'hang' });
    const healthy = await startReceiver();
    receivers.push(hanging, healthy);
    // An in-flight window (24 per partition) that a single hanging record at a partition's head
    // would block for the whole timeout: only if hanging records leave the hot path can the
    // healthy ones behind them go.
    const notifier = await h.start({
      NOTIFIER_TIMEOUT_MS: String(TIMEOUT_MS),
      NOTIFIER_HANDOFF_MS: '500',
      NOTIFIER_MAX_IN_FLIGHT: '24',
      NOTIFIER_DESTINATION_CONCURRENCY: '16',
      NOTIFIER_RETRY_DELAYS_MS: '2000,4000,8000',
    });
    const statuses = await h.read(h.names.status);
    await waitFor(() => notifier.ready, { description: 'the notifier to join its group' });

    // Hanging ones first (so both partitions start with some), then one in nine.
    const results = [
      ...Array.from({ length: 8 }, () => resultFor(`${hanging.url}/cb`, 'hang')),
      ...Array.from({ length: 180 }, (_, i) =>
        i % 9 === 0 ? resultFor(`${hanging.url}/cb`, 'hang') : resultFor(`${healthy.url}/cb`, 'ok'),
      ),
    ];
    const healthyJobs = results.filter((r) => r.job_id.startsWith('ok_'));
    await h.sendResults(results);

    await waitFor(() => healthy.received.length === healthyJobs.length, {
      timeoutMs: 3 * TIMEOUT_MS,
      description: `${healthyJobs.length} healthy deliveries`,
    });
    // The first timeout fires TIMEOUT_MS after the first hanging request arrived.
    const firstHang = Math.min(...hanging.received.map((r) => r.at));
    const lastHealthy = Math.max(...healthy.received.map((r) => r.at));
    expect(lastHealthy).toBeLessThan(firstHang + TIMEOUT_MS);
    // The hanging endpoint never had more than its concurrency in flight.
    expect(hanging.received.length).toBeLessThanOrEqual(16);
    expect(new Set(healthy.received.map((r) => r.id)).size).toBe(healthyJobs.length);
    await waitFor(
      () =>
        healthyJobs.every((r) =>
          statusesOf(statuses, r.job_id).some((s) => s.state === 'delivered'),
        ),
      { description: 'delivered statuses of the healthy jobs' },
    );
  });
});
