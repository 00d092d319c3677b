/**
 * The `/_sim` control API and the operational endpoints: stats of what was served, reset, fault
 * rules, run-time settings, the test clock, `/healthz`, `/readyz`, `/metrics`.
 */
import { MODEL, startHarness, type Harness } from './sim-harness.ts';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const create = (text = 'hi') =>
  h
    .client()
    .messages.create({ model: MODEL, max_tokens: 20, messages: [{ role: 'user', content: text }] });

interface Stats {
  requests: {
    total: number;
    by_status: Record<string, number>;
    by_model: Record<string, number>;
    by_endpoint: Record<string, number>;
  };
  concurrency: { current: number; peak: number };
  rate: { requests_per_second_10s: number; requests_per_second_60s: number };
  tokens: { input: number; output: number };
  batches: Record<string, number>;
  processing_ms: { count: number };
  added_latency_ms: { count: number };
  event_loop_delay_ms: { p50: number };
  faults_injected: Record<string, number>;
  clock_offset_ms: number;
}

describe('admin enabled', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('stats count what was served by status, model and endpoint', async () => {
    await create();
    await create();
    await h.admin('POST', '/_sim/faults', { action: { type: 'error', status: 529 }, times: 1 });
    await create().catch(() => undefined);
    await h.client().messages.batches.create({
      requests: [
        {
          custom_id: 'a',
          params: { model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
        },
      ],
    });
    const stats = await h.admin<Stats>('GET', '/_sim/stats');
    expect(stats.requests).toEqual({
      total: 4,
      by_status: { '200': 3, '529': 1 },
      by_model: { [MODEL]: 3 },
      by_endpoint: { messages: 3, 'batches.create': 1 },
    });
    expect(stats.concurrency).toEqual({ current: 0, peak: 1 });
    expect(stats.rate.requests_per_second_10s).toBeCloseTo(0.4, 5);
    expect(stats.tokens.output).toBe(40);
    expect(stats.batches).toMatchObject({ created: 1, running: 1 });
    expect(stats.processing_ms.count).toBe(4);
    expect(stats.added_latency_ms.count).toBe(4);
    expect(stats.faults_injected).toEqual({ error_529: 1 });
    expect(stats.event_loop_delay_ms.p50).toBeGreaterThanOrEqual(0);
  });

  it('reset clears stats, rules, batches and the clock', async () => {
    await create();
    await h.admin('POST', '/_sim/faults', { action: { type: 'error', status: 500 } });
    await h.admin('POST', '/_sim/clock/advance', { seconds: 10 });
    await h.admin('POST', '/_sim/reset');
    const stats = await h.admin<Stats>('GET', '/_sim/stats');
    expect(stats.requests.total).toBe(0);
    expect(stats.clock_offset_ms).toBe(0);
    expect(await h.admin('GET', '/_sim/faults')).toEqual({ data: [] });
    await expect(create()).resolves.toMatchObject({ type: 'message' });
  });

  it('fault rules can be listed and deleted one by one', async () => {
    const { data } = await h.admin<{ data: { id: string }[] }>('POST', '/_sim/faults', [
      { action: { type: 'error', status: 500 } },
      { match: { custom_id: 'x' }, action: { type: 'expire' } },
    ]);
    expect(data.map((r) => r.id)).toEqual(['fault_1', 'fault_2']);
    await h.admin('DELETE', '/_sim/faults/fault_1');
    const left = await h.admin<{ data: { id: string }[] }>('GET', '/_sim/faults');
    expect(left.data.map((r) => r.id)).toEqual(['fault_2']);
    await expect(create()).resolves.toMatchObject({ type: 'message' });
  });

  it('bad admin bodies are 400s naming the field', async () => {
    const response = await fetch(`${h.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: { type: 'error', status: 200 } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { message: expect.stringMatching(/^action\.status: /) },
    });
    const expireOnMessages = await fetch(`${h.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { endpoint: 'messages' }, action: { type: 'expire' } }),
    });
    expect(expireOnMessages.status).toBe(400);
  });

  it('generation settings change at run time', async () => {
    await h.admin('PUT', '/_sim/generation', { output_tokens_min: 7, output_tokens_max: 7 });
    expect((await create()).usage.output_tokens).toBe(7);
    expect(await h.admin('GET', '/_sim/generation')).toMatchObject({
      output_tokens_min: 7,
      output_tokens_max: 7,
    });
  });

  it('the clock moves forward only', async () => {
    const before = await h.admin<{ now: string }>('GET', '/_sim/clock');
    const after = await h.admin<{ now: string; offset_ms: number }>('POST', '/_sim/clock/advance', {
      ms: 3_600_000,
    });
    expect(after.offset_ms).toBe(3_600_000);
    expect(Date.parse(after.now) - Date.parse(before.now)).toBeGreaterThanOrEqual(3_600_000);
    const back = await fetch(`${h.url}/_sim/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ms: -1 }),
    });
    expect(back.status).toBe(400);
  });

  it('serves /healthz, /readyz and Prometheus /metrics', async () => {
    await create();
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${h.url}/readyz`)).json()).toEqual({ status: 'ready' });
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(
      /pipeline_sim_requests_total\{endpoint="messages",model="claude-sonnet-4-6",status="200",service="anthropic-sim"\} 1/,
    );
    expect(metrics).toMatch(
      /pipeline_sim_tokens_total\{kind="output",model="claude-sonnet-4-6",service="anthropic-sim"\} 20/,
    );
    expect(metrics).toMatch(/pipeline_sim_processing_seconds_bucket/);
    // Probes and scrapes are not counted as served requests.
    expect((await h.admin<Stats>('GET', '/_sim/stats')).requests.total).toBe(1);
  });
});

describe('admin disabled (the default)', () => {
  it('/_sim paths do not exist', async () => {
    h = await startHarness({ SIM_ADMIN_ENABLED: 'false' });
    const response = await fetch(`${h.url}/_sim/stats`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
    });
  });
});
