/**
 * Streaming fidelity: the SDK's `messages.stream()` parses the sim's events, `finalMessage()`
 * equals the non-streamed reply, pacing follows the configured time to first token and tokens per
 * second, and a mid-stream `event: error` surfaces as the SDK's APIError.
 */
import Anthropic, { type APIError } from '@anthropic-ai/sdk';
import { MODEL, startHarness, type Harness } from './sim-harness.ts';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const params = (text: string): Anthropic.MessageCreateParamsNonStreaming => ({
  model: MODEL,
  max_tokens: 1024,
  messages: [{ role: 'user', content: text }],
});

describe('stream: true', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('messages.stream() yields the event sequence and finalMessage() matches a plain create', async () => {
    const stream = h.client().messages.stream(params('Stream me sim:output_tokens=40'));
    const types: string[] = [];
    let text = '';
    stream.on('streamEvent', (event) => types.push(event.type));
    stream.on('text', (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    const plain = await h.client().messages.create(params('Stream me sim:output_tokens=40'));

    expect(types[0]).toBe('message_start');
    expect(types[1]).toBe('content_block_start');
    expect(types.filter((t) => t === 'content_block_delta').length).toBeGreaterThanOrEqual(2);
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(final.content).toEqual(plain.content);
    expect(text).toBe((plain.content[0] as Anthropic.TextBlock).text);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage).toMatchObject({
      input_tokens: plain.usage.input_tokens,
      output_tokens: 40,
    });
  });

  it('sends a ping after the first block starts, which the SDK skips', async () => {
    const response = await h.api('/v1/messages', { json: { ...params('hi'), stream: true } });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('4000');
    const body = await response.text();
    const events = [...body.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(events.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(events.at(-1)).toBe('message_stop');
  });

  it('message_delta carries cumulative usage', async () => {
    const raw = await h
      .client()
      .messages.create({ ...params('sim:output_tokens=30'), stream: true });
    const events: Anthropic.RawMessageStreamEvent[] = [];
    for await (const event of raw) events.push(event);
    const start = events.find((e) => e.type === 'message_start');
    const delta = events.find((e) => e.type === 'message_delta');
    expect(start?.message.usage.output_tokens).toBe(1);
    expect(delta?.usage).toMatchObject({
      output_tokens: 30,
      input_tokens: start?.message.usage.input_tokens,
    });
    expect(delta?.delta.stop_reason).toBe('end_turn');
  });

  it('a stream_error fault ends the stream with event: error, thrown by the SDK as APIError', async () => {
    await h.admin('POST', '/_sim/faults', {
      match: { contains: 'doomed' },
      action: { type: 'stream_error', after_events: 2, error_type: 'overloaded_error' },
      times: 1,
    });
    const stream = h.client().messages.stream(params('doomed sim:output_tokens=200'));
    let deltas = 0;
    stream.on('text', () => deltas++);
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as APIError).type).toBe('overloaded_error');
    expect((error as APIError).status).toBeUndefined();
    expect(deltas).toBe(2);
    // times: 1 — the next stream is whole.
    const again = await h
      .client()
      .messages.stream(params('doomed sim:output_tokens=200'))
      .finalMessage();
    expect(again.usage.output_tokens).toBe(200);
  });

  it('a stream_reset fault drops the connection mid-stream: the SDK raises a connection error', async () => {
    await h.admin('POST', '/_sim/faults', {
      match: { stream: true },
      action: { type: 'stream_reset', after_events: 1 },
      times: 1,
    });
    const error = await h
      .client()
      .messages.stream(params('sim:output_tokens=200'))
      .finalMessage()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const stats = await h.admin<{ requests: { by_status: Record<string, number> } }>(
      'GET',
      '/_sim/stats',
    );
    expect(stats.requests.by_status['stream_reset']).toBe(1);
  });
});

describe('pacing', () => {
  it('waits the time to first token, then streams at the configured tokens per second', async () => {
    h = await startHarness({ SIM_TTFT_MS: '300', SIM_TOKENS_PER_SECOND: '100' });
    const started = Date.now();
    let firstAt = 0;
    const stream = h.client().messages.stream(params('sim:output_tokens=50'));
    stream.on('text', () => {
      if (firstAt === 0) firstAt = Date.now();
    });
    await stream.finalMessage();
    const total = Date.now() - started;
    // 300 ms to the first token, then 49 more tokens at 100/s ≈ 490 ms.
    expect(firstAt - started).toBeGreaterThanOrEqual(290);
    expect(total).toBeGreaterThanOrEqual(300 + 480);
    expect(total).toBeLessThan(300 + 490 + 1500);
  });

  it('a non-streaming call takes as long as generating the reply', async () => {
    h = await startHarness({ SIM_TTFT_MS: '100', SIM_TOKENS_PER_SECOND: '200' });
    const started = Date.now();
    await h.client().messages.create(params('sim:output_tokens=100'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(100 + 490);
  });

  it('pings while the first token is slow', async () => {
    h = await startHarness({ SIM_TTFT_MS: '350', SIM_PING_INTERVAL_MS: '100' });
    const body = await (
      await h.api('/v1/messages', { json: { ...params('hi'), stream: true } })
    ).text();
    expect([...body.matchAll(/^event: ping$/gm)].length).toBeGreaterThanOrEqual(4);
  });
});
