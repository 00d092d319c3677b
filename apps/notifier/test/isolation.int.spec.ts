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

  it('a record whose endpoint answers nothing leaves its partition after the stall period, not the hand-off budget', async () => {
    const HANDOFF_MS = 8_000;
    const hanging = await startReceiver({ respond: () => 'hang' });
    const healthy = await startReceiver();
    receivers.push(hanging, healthy);
    // Four records in flight per partition, and every sixth one hangs: with the hanging records
    // held for the whole hand-off budget, the healthy ones behind them could not go for 8 s.
    const notifier = await h.start({
      NOTIFIER_TIMEOUT_MS: '10000',
      NOTIFIER_HANDOFF_MS: String(HANDOFF_MS),
      NOTIFIER_STALL_MS: '200',
      NOTIFIER_MAX_IN_FLIGHT: '4',
      NOTIFIER_DESTINATION_CONCURRENCY: '32',
      NOTIFIER_RETRY_DELAYS_MS: '30000,60000',
    });
    const statuses = await h.read(h.names.status);
    const stage1 = await h.read(h.names.retry('notifier', 1));
    await waitFor(() => notifier.ready, { description: 'the notifier to join its group' });

    const results = Array.from({ length: 72 }, (_, i) =>
      i % 6 === 0
        ? resultFor(`${hanging.url}/cb`, 'stall')
        : resultFor(`${healthy.url}/cb`, 'fine'),
    );
    const healthyJobs = results.filter((r) => r.job_id.startsWith('fine_'));
    const hangingJobs = results.filter((r) => r.job_id.startsWith('stall_'));
    await h.sendResults(results);

    await waitFor(() => healthy.received.length === healthyJobs.length, {
      timeoutMs: 2 * HANDOFF_MS,
      description: `${healthyJobs.length} healthy deliveries`,
    });
    const firstHang = Math.min(...hanging.received.map((r) => r.at));
    const lastHealthy = Math.max(...healthy.received.map((r) => r.at));
    expect(lastHealthy).toBeLessThan(firstHang + HANDOFF_MS);
    // Each hanging record was POSTed once and handed off to the first stage (its POST goes on
    // until the timeout, which then reports the attempt).
    await waitFor(
      () => hangingJobs.every((r) => stage1.some((record) => record.key === r.job_id)),
      { description: 'the hanging jobs in the first retry stage' },
    );
    for (const r of hangingJobs) expect(hanging.count(`${r.job_id}.1`)).toBe(1);
    expect(stage1.filter((record) => record.key.startsWith('fine_'))).toEqual([]);
    // Healthy records were never handed off.
    await waitFor(
      () =>
        healthyJobs.every((r) =>
          statusesOf(statuses, r.job_id).some((s) => s.state === 'delivered'),
        ),
      { description: 'delivered statuses of the healthy jobs' },
    );
    for (const r of healthyJobs) {
      const attempts = statusesOf(statuses, r.job_id).flatMap((s) => s.attempts);
      expect(attempts.map((a) => a.outcome)).toEqual(['succeeded']);
    }
  });
});
