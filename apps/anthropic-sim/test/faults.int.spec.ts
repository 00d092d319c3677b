/**
 * Errors and faults as the SDK meets them: typed errors for each status, the SDK's own retry on
 * 429/529 honouring `retry-after` (measured), hung and reset connections, error rates, latency,
 * and scripts matched on the prompt.
 */
import Anthropic, { type APIError } from '@anthropic-ai/sdk';
import { MODEL, startHarness, type Harness } from './sim-harness.ts';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const params = (text = 'hello'): Anthropic.MessageCreateParamsNonStreaming => ({
  model: MODEL,
  max_tokens: 100,
  messages: [{ role: 'user', content: text }],
});

const addFault = (rule: unknown) => h.admin('POST', '/_sim/faults', rule);

interface Stats {
  requests: { total: number; by_status: Record<string, number> };
  faults_injected: Record<string, number>;
}

describe('typed errors', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it.each([
    [429, Anthropic.RateLimitError, 'rate_limit_error'],
    [500, Anthropic.InternalServerError, 'api_error'],
    [529, Anthropic.OverloadedError, 'overloaded_error'],
    [503, Anthropic.ServiceUnavailableError, 'api_error'],
    [403, Anthropic.PermissionDeniedError, 'permission_error'],
    [401, Anthropic.AuthenticationError, 'authentication_error'],
    [400, Anthropic.BadRequestError, 'invalid_request_error'],
    [404, Anthropic.NotFoundError, 'not_found_error'],
    [413, Anthropic.ContentTooLargeError, 'request_too_large'],
  ])(
    'a %d fault is %p with type %s, a request-id and the API body',
    async (status, errorClass, type) => {
      await addFault({ action: { type: 'error', status }, times: 1 });
      const error = await h
        .client()
        .messages.create(params())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(errorClass);
      const e = error as APIError;
      expect(e.status).toBe(status);
      expect(e.type).toBe(type);
      expect(e.requestID).toMatch(/^req_011C/);
      expect(e.error).toEqual({
        type: 'error',
        error: { type, message: expect.any(String) },
        request_id: e.requestID,
      });
    },
  );

  it('529 overloaded is an APIError with status 529 (OverloadedError in this SDK)', async () => {
    await addFault({ action: { type: 'error', status: 529 }, times: 1 });
    const error = await h
      .client()
      .messages.create(params())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).toBeInstanceOf(Anthropic.OverloadedError);
    expect((error as APIError).status).toBe(529);
  });

  it('a rule matched on the first user message fails exactly N times, then lets requests through', async () => {
    await addFault({
      match: { contains: 'job-42' },
      action: { type: 'error', status: 500 },
      times: 2,
    });
    const client = h.client();
    await expect(client.messages.create(params('please do job-42'))).rejects.toBeInstanceOf(
      Anthropic.InternalServerError,
    );
    await expect(client.messages.create(params('other work'))).resolves.toMatchObject({
      type: 'message',
    });
    await expect(client.messages.create(params('please do job-42'))).rejects.toBeInstanceOf(
      Anthropic.InternalServerError,
    );
    await expect(client.messages.create(params('please do job-42'))).resolves.toMatchObject({
      type: 'message',
    });
    const rules = await h.admin<{ data: unknown[] }>('GET', '/_sim/faults');
    expect(rules.data).toEqual([]);
  });
});

describe("the SDK's own retries", () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('retries a 429 after the retry-after it was given (measured)', async () => {
    await addFault({ action: { type: 'error', status: 429, retry_after_s: 1 }, times: 1 });
    const started = Date.now();
    const message = await h.client({ maxRetries: 2 }).messages.create(params());
    const elapsed = Date.now() - started;
    expect(message.type).toBe('message');
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(3000);
    const stats = await h.admin<Stats>('GET', '/_sim/stats');
    expect(stats.requests.by_status).toEqual({ '200': 1, '429': 1 });
  });

  it('retries a 529 twice, honouring retry-after-ms, then succeeds', async () => {
    await addFault({ action: { type: 'error', status: 529, retry_after_ms: 400 }, times: 2 });
    const started = Date.now();
    const message = await h.client({ maxRetries: 2 }).messages.create(params());
    expect(message.type).toBe('message');
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    const stats = await h.admin<Stats>('GET', '/_sim/stats');
    expect(stats.requests.by_status).toEqual({ '200': 1, '529': 2 });
  });

  it('gives up after maxRetries and throws the last error', async () => {
    await addFault({ action: { type: 'error', status: 529, retry_after_ms: 10 } });
    const error = await h
      .client({ maxRetries: 2 })
      .messages.create(params())
      .catch((e: unknown) => e);
    expect((error as APIError).status).toBe(529);
    expect((await h.admin<Stats>('GET', '/_sim/stats')).requests.total).toBe(3);
  });

  it('x-should-retry: false stops the SDK retrying a 500', async () => {
    await addFault({ action: { type: 'error', status: 500, should_retry: false } });
    await expect(h.client({ maxRetries: 2 }).messages.create(params())).rejects.toBeInstanceOf(
      Anthropic.InternalServerError,
    );
    expect((await h.admin<Stats>('GET', '/_sim/stats')).requests.total).toBe(1);
  });
});

describe('connection faults and latency', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('a hung request times out in the SDK; the sim counts it as hung', async () => {
    await addFault({ action: { type: 'hang' }, times: 1 });
    const error = await h
      .client({ timeout: 300 })
      .messages.create(params())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    const stats = await waitForStatus('hung');
    expect(stats.faults_injected['hang']).toBe(1);
  });

  it('a client that gives up during a simulated wait is counted as aborted', async () => {
    await h.admin('PUT', '/_sim/latency', { mode: 'fixed', ms: 1_000 });
    const error = await h
      .client({ timeout: 200 })
      .messages.create(params())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    const stats = await waitForStatus('aborted');
    expect(stats.requests.by_status).toEqual({ aborted: 1 });
  });

  it('a reset connection is an APIConnectionError; with retries the SDK recovers', async () => {
    await addFault({ action: { type: 'reset' }, times: 1 });
    await expect(h.client().messages.create(params())).rejects.toBeInstanceOf(
      Anthropic.APIConnectionError,
    );
    await addFault({ action: { type: 'reset' }, times: 1 });
    await expect(h.client({ maxRetries: 1 }).messages.create(params())).resolves.toMatchObject({
      type: 'message',
    });
  });

  it('a delay rule and configured latency add to the answer time', async () => {
    await h.admin('PUT', '/_sim/latency', { mode: 'fixed', ms: 150 });
    await addFault({ action: { type: 'delay', ms: 200 }, times: 1 });
    const started = Date.now();
    await h.client().messages.create(params());
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it('error rates fail about that share of requests', async () => {
    await h.admin('PUT', '/_sim/error-rates', { messages: { '500': 0.3, '529': 0.2 } });
    const client = h.client();
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, () =>
        client.messages.create(params()).then(
          () => 200,
          (e: unknown) => (e as APIError).status,
        ),
      ),
    );
    const share = (status: number) =>
      outcomes.filter((s: number | undefined) => s === status).length / outcomes.length;
    expect(share(500)).toBeGreaterThan(0.15);
    expect(share(500)).toBeLessThan(0.45);
    expect(share(529)).toBeGreaterThan(0.08);
    expect(share(529)).toBeLessThan(0.32);
  });
});

describe('faults from configuration', () => {
  it('SIM_FAULTS and SIM_ERROR_RATES apply from boot', async () => {
    h = await startHarness({
      SIM_FAULTS: JSON.stringify([
        { match: { model: MODEL }, action: { type: 'error', status: 503 }, times: 1 },
      ]),
      SIM_ERROR_RATES: '500=0',
    });
    await expect(h.client().messages.create(params())).rejects.toMatchObject({ status: 503 });
    await expect(h.client().messages.create(params())).resolves.toMatchObject({ type: 'message' });
  });

  it('SIM_LATENCY_MODE=lognormal spreads answer times around the median', async () => {
    h = await startHarness({
      SIM_LATENCY_MODE: 'lognormal',
      SIM_LATENCY_MS: '100',
      SIM_LATENCY_SIGMA: '0.5',
    });
    const client = h.client();
    const times: number[] = [];
    for (let i = 0; i < 12; i++) {
      const started = Date.now();
      await client.messages.create(params());
      times.push(Date.now() - started);
    }
    times.sort((a, b) => a - b);
    // The distribution itself is checked in the unit spec; here: it applies, and it varies.
    expect(times[6]).toBeGreaterThan(50);
    expect(times[6]).toBeLessThan(600);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThan(20);
  });
});

async function waitForStatus(status: string): Promise<Stats> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const stats = await h.admin<Stats>('GET', '/_sim/stats');
    if ((stats.requests.by_status[status] ?? 0) > 0 || Date.now() > deadline) return stats;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
