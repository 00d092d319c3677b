import type { GenerationSettings } from '../config.ts';
import type { TextBlock, ToolUseBlock } from '../wire.types.ts';
import type { CacheUsage } from './prompt-cache.ts';
import { planReply } from './reply.planner.ts';
import { requestOf, userSays } from '../../test/fixtures/requests.ts';
import type { MessagesRequest } from './messages-request.ts';

const generation: GenerationSettings = {
  tokensPerSecond: 0,
  ttftMs: 0,
  pingIntervalMs: 5000,
  outputTokensMin: 16,
  outputTokensMax: 64,
  charsPerToken: 4,
};
const cache: CacheUsage = {
  readTokens: 10,
  creation5mTokens: 20,
  creation1hTokens: 30,
  uncachedTokens: 5,
};
const plan = (request: MessagesRequest, serviceTier: 'standard' | 'batch' = 'standard') =>
  planReply(request, { generation, cache, messageId: 'msg_test', serviceTier });
const textOf = (request: MessagesRequest) => (plan(request).message.content[0] as TextBlock).text;

const weather = {
  name: 'get_weather',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('planReply', () => {
  it('text between the configured lengths, the same for the same input', () => {
    const { message } = plan(userSays('hello'));
    expect(message.usage.output_tokens).toBeGreaterThanOrEqual(16);
    expect(message.usage.output_tokens).toBeLessThanOrEqual(64);
    expect(textOf(userSays('hello'))).toBe(textOf(userSays('hello')));
    expect(textOf(userSays('hello'))).not.toBe(textOf(userSays('hello!')));
  });

  it('reports the cache usage it was given, per TTL, and the service tier', () => {
    const { message } = plan(userSays('hello'), 'batch');
    expect(message.usage).toMatchObject({
      input_tokens: 5,
      cache_read_input_tokens: 10,
      cache_creation_input_tokens: 50,
      cache_creation: { ephemeral_5m_input_tokens: 20, ephemeral_1h_input_tokens: 30 },
      service_tier: 'batch',
    });
  });

  it('max_tokens cuts the reply: stop_reason max_tokens, output_tokens = max_tokens', () => {
    const { message } = plan(userSays('sim:output_tokens=100', { max_tokens: 7 }));
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBe(7);
  });

  it('max_tokens 0 (cache pre-warming) gives no content and no output tokens', () => {
    const { message } = plan(userSays('hello', { max_tokens: 0 }));
    expect(message.content).toEqual([]);
    expect(message.usage.output_tokens).toBe(0);
    expect(message.stop_reason).toBe('max_tokens');
  });

  it('a stop sequence ends the text before it', () => {
    const full = textOf(userSays('sim:output_tokens=30'));
    const word = full.split(' ')[3] ?? '';
    const { message } = plan(
      userSays('sim:output_tokens=30', { stop_sequences: ['zzz', ` ${word}`] }),
    );
    expect(message.stop_reason).toBe('stop_sequence');
    expect(message.stop_sequence).toBe(` ${word}`);
    expect(full.startsWith((message.content[0] as TextBlock).text)).toBe(true);
  });

  it('tool_choice tool: one tool_use block, stop_reason tool_use, a stable id', () => {
    const request = requestOf({
      messages: [{ role: 'user', content: 'x' }],
      tools: [weather],
      tool_choice: { type: 'tool', name: 'get_weather' },
    });
    const { message, blocks } = plan(request);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toHaveLength(1);
    const call = message.content[0] as ToolUseBlock;
    expect(call).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      caller: { type: 'direct' },
    });
    expect(call.id).toBe((plan(request).message.content[0] as ToolUseBlock).id);
    expect(blocks[0]).toMatchObject({ type: 'tool_use', json: JSON.stringify(call.input) });
  });

  it('tool_choice none never calls a tool; auto calls one only when the prompt names it', () => {
    const base = { tools: [weather] };
    expect(
      plan(
        requestOf({
          ...base,
          messages: [{ role: 'user', content: 'use get_weather' }],
          tool_choice: { type: 'none' },
        }),
      ).message.stop_reason,
    ).not.toBe('tool_use');
    expect(
      plan(requestOf({ ...base, messages: [{ role: 'user', content: 'use get_weather' }] })).message
        .stop_reason,
    ).toBe('tool_use');
    expect(
      plan(requestOf({ ...base, messages: [{ role: 'user', content: 'chat' }] })).message
        .stop_reason,
    ).not.toBe('tool_use');
  });

  it('a tool call that does not fit in max_tokens is dropped: stop_reason max_tokens', () => {
    const request = requestOf({
      max_tokens: 3,
      messages: [{ role: 'user', content: 'x' }],
      tools: [weather],
      tool_choice: { type: 'any' },
    });
    const { message } = plan(request);
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.content).toEqual([]);
  });
});
