import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { GenerationSettings } from '../config.ts';
import type { RequestContext } from '../http/request-context.ts';
import { planReply } from './reply.planner.ts';
import { streamReply, type StreamOptions } from './sse.writer.ts';
import { requestOf, userSays } from '../../test/fixtures/requests.ts';

/** A response that keeps what is written. */
class FakeResponse extends EventEmitter {
  status = 0;
  headers: Record<string, string> = {};
  chunks: string[] = [];
  ended = false;
  destroyed = false;
  writeHead(status: number, headers: Record<string, string>) {
    this.status = status;
    this.headers = headers;
    return this;
  }
  write(chunk: string) {
    this.chunks.push(chunk);
    return true;
  }
  end(chunk?: string) {
    if (chunk !== undefined) this.chunks.push(chunk);
    this.ended = true;
  }
  destroy() {
    this.destroyed = true;
  }
  events() {
    return this.chunks
      .join('')
      .split('\n\n')
      .filter((f) => f !== '')
      .map((frame) => {
        const [eventLine, dataLine] = frame.split('\n');
        return {
          event: eventLine?.slice('event: '.length),
          data: JSON.parse(dataLine?.slice('data: '.length) ?? 'null') as Record<string, unknown>,
        };
      });
  }
}

function fakeContext(slept: number[]): RequestContext {
  return {
    requestId: 'req_test',
    startedAt: 0,
    waitedMs: 0,
    processingMs: 0,
    endpoint: 'messages',
    model: undefined,
    hung: false,
    status: undefined,
    signal: new AbortController().signal,
    sleep: async (ms) => {
      slept.push(ms);
    },
    measure: (fn) => fn(),
    addedLatencyMs: () => 0,
  };
}

const generation: GenerationSettings = {
  tokensPerSecond: 100,
  ttftMs: 300,
  pingIntervalMs: 1_000,
  outputTokensMin: 10,
  outputTokensMax: 10,
  charsPerToken: 4,
};

async function run(request = userSays('hello'), overrides: Partial<StreamOptions> = {}) {
  const res = new FakeResponse();
  const slept: number[] = [];
  const ctx = fakeContext(slept);
  const plan = planReply(request, {
    generation,
    cache: { readTokens: 0, creation5mTokens: 0, creation1hTokens: 0, uncachedTokens: 7 },
    messageId: 'msg_1',
    serviceTier: 'standard',
  });
  const sent = await streamReply({
    res: res as unknown as ServerResponse,
    plan,
    headers: { 'request-id': 'req_test' },
    generation,
    fault: undefined,
    ctx,
    ...overrides,
  });
  return { res, slept, sent, plan, ctx };
}

describe('streamReply', () => {
  it('sends the API event sequence with a ping after the first block starts', async () => {
    const { res, sent } = await run();
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({
      'content-type': 'text/event-stream; charset=utf-8',
      'request-id': 'req_test',
    });
    const names = res.events().map((e) => e.event);
    expect(names.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(names.filter((n) => n === 'content_block_delta')).toHaveLength(10);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(res.ended).toBe(true);
    expect(sent).toBe(10);
  });

  it('message_start has empty content and no stop reason; message_delta the final usage', async () => {
    const { res } = await run();
    const events = res.events();
    expect(events[0]?.data).toMatchObject({
      message: {
        id: 'msg_1',
        content: [],
        stop_reason: null,
        usage: { input_tokens: 7, output_tokens: 1 },
      },
    });
    expect(events.at(-2)?.data).toMatchObject({
      delta: { stop_reason: 'end_turn' },
      usage: { input_tokens: 7, output_tokens: 10 },
    });
  });

  it('waits the time to first token, then one token per 10 ms at 100 tokens/s', async () => {
    const { slept } = await run();
    expect(slept).toEqual([300, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
  });

  it('pings through a wait longer than the ping interval', async () => {
    const { res, slept } = await run(userSays('hello'), {
      generation: { ...generation, ttftMs: 2_500 },
    });
    expect(slept.slice(0, 3)).toEqual([1_000, 1_000, 500]);
    expect(res.events().filter((e) => e.event === 'ping')).toHaveLength(3);
  });

  it('a stream_error fault sends event: error after N deltas and ends', async () => {
    const { res, sent, ctx } = await run(userSays('hello'), {
      fault: { type: 'stream_error', after_events: 4, error_type: 'overloaded_error' },
    });
    const events = res.events();
    expect(events.filter((e) => e.event === 'content_block_delta')).toHaveLength(4);
    expect(events.at(-1)).toEqual({
      event: 'error',
      data: {
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded' },
        request_id: 'req_test',
      },
    });
    expect(res.ended).toBe(true);
    expect(sent).toBe(4);
    expect(ctx.status).toBe('stream_error');
  });

  it('a stream_reset fault destroys the connection after N deltas', async () => {
    const { res, ctx } = await run(userSays('hello'), {
      fault: { type: 'stream_reset', after_events: 2 },
    });
    expect(res.destroyed).toBe(true);
    expect(res.ended).toBe(false);
    expect(ctx.status).toBe('stream_reset');
  });

  it('streams a tool call as input_json_delta pieces that join to its input', async () => {
    const request = requestOf({
      messages: [{ role: 'user', content: 'x' }],
      tools: [
        {
          name: 'f',
          input_schema: {
            type: 'object',
            properties: { city: { type: 'string', minLength: 30 } },
            required: ['city'],
          },
        },
      ],
      tool_choice: { type: 'tool', name: 'f' },
    });
    const { res, plan } = await run(request);
    const events = res.events();
    expect(events[1]?.data).toMatchObject({
      content_block: { type: 'tool_use', name: 'f', input: {} },
    });
    const partials = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => (e.data['delta'] as { partial_json: string }).partial_json);
    expect(partials[0]).toBe('');
    expect(partials.length).toBeGreaterThan(2);
    expect(partials.join('')).toBe(
      JSON.stringify((plan.message.content[0] as { input: unknown }).input),
    );
  });
});
