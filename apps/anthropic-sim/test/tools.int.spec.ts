/**
 * Tool use round trip with the real SDK: a forced or requested tool call comes back as a
 * `tool_use` block whose input fits the tool's schema, streamed as `input_json_delta`s; the
 * `tool_result` turn is accepted and answered in text; broken pairings are refused like the API.
 */
import Anthropic, { type APIError } from '@anthropic-ai/sdk';
import { MODEL, startHarness, type Harness } from './sim-harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: {
    type: 'object',
    properties: {
      city: { type: 'string', minLength: 2 },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      days: { type: 'integer', minimum: 1, maximum: 7 },
      note: { type: 'string' },
    },
    required: ['city', 'unit', 'days'],
  },
};
const clock: Anthropic.Tool = {
  name: 'get_time',
  input_schema: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
};

describe('tool use', () => {
  it('tool_choice tool: a tool_use block with input valid for the schema, stop_reason tool_use', async () => {
    const message = await h.client().messages.create({
      model: MODEL,
      max_tokens: 1024,
      tools: [weather, clock],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toHaveLength(1);
    const call = message.content[0] as Anthropic.ToolUseBlock;
    expect(call.type).toBe('tool_use');
    expect(call.id).toMatch(/^toolu_01/);
    expect(call.name).toBe('get_weather');
    expect(call.input).toEqual({ city: expect.any(String), unit: 'celsius', days: 1 });
    expect((call.input as { city: string }).city.length).toBeGreaterThanOrEqual(2);
  });

  it('tool_choice auto: a prompt naming a tool gets a short text, then the call', async () => {
    const message = await h.client().messages.create({
      model: MODEL,
      max_tokens: 1024,
      tools: [weather, clock],
      messages: [{ role: 'user', content: 'Use get_time for Tokyo' }],
    });
    expect(message.content.map((b) => b.type)).toEqual(['text', 'tool_use']);
    expect((message.content[1] as Anthropic.ToolUseBlock).name).toBe('get_time');
  });

  it('tool_choice auto without a named tool answers in text', async () => {
    const message = await h.client().messages.create({
      model: MODEL,
      max_tokens: 1024,
      tools: [weather],
      messages: [{ role: 'user', content: 'Just chat with me' }],
    });
    expect(message.stop_reason).toBe('end_turn');
    expect(message.content.map((b) => b.type)).toEqual(['text']);
  });

  it('round trip: the tool_result turn is accepted and answered in text', async () => {
    const client = h.client();
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'Use get_weather for Paris' },
    ];
    const first = await client.messages.create({
      model: MODEL,
      max_tokens: 1024,
      tools: [weather],
      messages,
    });
    const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(call).toBeDefined();
    messages.push({ role: 'assistant', content: first.content });
    messages.push({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: call!.id, content: '21 °C, sunny' }],
    });
    const second = await client.messages.create({
      model: MODEL,
      max_tokens: 1024,
      tools: [weather],
      messages,
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]?.type).toBe('text');
  });

  it('streams the tool input as input_json_delta; finalMessage() has the parsed input', async () => {
    const stream = h.client().messages.stream({
      model: MODEL,
      max_tokens: 1024,
      tools: [weather],
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'Weather?' }],
    });
    const partials: string[] = [];
    stream.on('inputJson', (partial) => partials.push(partial));
    const final = await stream.finalMessage();
    const call = final.content[0] as Anthropic.ToolUseBlock;
    expect(final.stop_reason).toBe('tool_use');
    expect(partials.join('')).toBe(JSON.stringify(call.input));
    expect(call.input).toMatchObject({ unit: 'celsius', days: 1 });
  });

  it('a tool_use without its tool_result in the next turn is a 400', async () => {
    const error = await h
      .client()
      .messages.create({
        model: MODEL,
        max_tokens: 100,
        tools: [weather],
        messages: [
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }],
          },
          { role: 'user', content: 'never mind' },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as APIError).apiMessage).toMatch(
      /^messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1/,
    );
  });

  it('a tool_result for an unknown tool_use_id is a 400', async () => {
    const error = await h
      .client()
      .messages.create({
        model: MODEL,
        max_tokens: 100,
        messages: [
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'x' }],
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as APIError).apiMessage).toMatch(
      /unexpected `tool_use_id` found in `tool_result` blocks: toolu_x/,
    );
  });

  it('tool_choice naming a missing tool, or tools with duplicate names, are 400s', async () => {
    const client = h.client();
    const base = {
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    await expect(
      client.messages.create({
        ...base,
        tools: [weather],
        tool_choice: { type: 'tool', name: 'nope' },
      }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(
      client.messages.create({ ...base, tools: [weather, weather] }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });
});
