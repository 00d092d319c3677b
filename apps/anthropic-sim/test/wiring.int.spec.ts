/**
 * Details of the HTTP wiring the SDK does not show: both credential headers, error headers,
 * `results_url` from SIM_PUBLIC_URL.
 */
import { startHarness, type Harness } from './sim-harness.ts';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const body = {
  model: 'claude-haiku-4-5',
  max_tokens: 5,
  messages: [{ role: 'user', content: 'hi' }],
};

it('accepts the SDK’s Authorization: Bearer as well as x-api-key', async () => {
  h = await startHarness();
  const bearer = await h.api('/v1/messages', {
    json: body,
    headers: { 'x-api-key': '', authorization: 'Bearer sim-key' },
  });
  expect(bearer.status).toBe(200);
  const apiKey = await h.api('/v1/messages', { json: body });
  expect(apiKey.status).toBe(200);
});

it('errors carry the request id in header and body, x-should-retry, and rate-limit headers once the model is known', async () => {
  h = await startHarness();
  const response = await h.api('/v1/messages', { json: { ...body, max_tokens: 'many' } });
  expect(response.status).toBe(400);
  expect(await response.json()).toEqual({
    type: 'error',
    error: { type: 'invalid_request_error', message: 'max_tokens: Input should be a valid number' },
    request_id: response.headers.get('request-id'),
  });
  expect(response.headers.get('x-should-retry')).toBe('false');
  expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('4000');
});

it('results_url follows SIM_PUBLIC_URL', async () => {
  h = await startHarness({ SIM_PUBLIC_URL: 'https://sim.example', SIM_BATCH_PROCESSING_MS: '0' });
  const created = await h.api('/v1/messages/batches', {
    json: { requests: [{ custom_id: 'a', params: body }] },
  });
  expect(await created.json()).toMatchObject({
    processing_status: 'ended',
    results_url: expect.stringMatching(
      /^https:\/\/sim\.example\/v1\/messages\/batches\/msgbatch_01/,
    ),
  });
});
