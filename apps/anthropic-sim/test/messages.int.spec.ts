/**
 * Messages fidelity, driven by the real SDK: the reply's shape, determinism, usage, stop reasons,
 * validation errors as typed SDK errors, and the headers every answer carries.
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

const ask = (text: string, extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}) =>
  h.client().messages.create({
    model: MODEL,
    max_tokens: 1024,
    messages: [{ role: 'user', content: text }],
    ...extra,
  });

describe('POST /v1/messages', () => {
  it('answers a message the SDK parses, with ids, usage and a stop reason', async () => {
    const { data: message, response } = await h
      .client()
      .messages.create({
        model: MODEL,
        max_tokens: 1024,
        messages: [{ role: 'user', content: 'Hello' }],
      })
      .withResponse();
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: MODEL,
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    expect(message.id).toMatch(/^msg_01[A-Za-z0-9]{22}$/);
    expect(message.content).toHaveLength(1);
    expect(message.content[0]?.type).toBe('text');
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThanOrEqual(16);
    expect(message.usage.cache_read_input_tokens).toBe(0);
    expect(response.headers.get('request-id')).toMatch(/^req_011C/);
  });

  it('gives the same text for the same input and another text for another input', async () => {
    const [a, b, c] = await Promise.all([
      ask('What is Kafka?'),
      ask('What is Kafka?'),
      ask('What is Jaeger?'),
    ]);
    const text = (m: Anthropic.Message) => (m.content[0] as Anthropic.TextBlock).text;
    expect(text(a)).toBe(text(b));
    expect(text(a)).not.toBe(text(c));
    expect(a.id).not.toBe(b.id);
  });

  it('estimates input tokens from the characters of the prompt (about 4 per token)', async () => {
    const short = await ask('x'.repeat(400));
    const long = await ask('x'.repeat(4000));
    expect(long.usage.input_tokens - short.usage.input_tokens).toBe(900);
  });

  it('stops at max_tokens with stop_reason max_tokens', async () => {
    const message = await ask('Write a lot sim:output_tokens=500', { max_tokens: 10 });
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBe(10);
  });

  it('honours a requested reply length', async () => {
    const message = await ask('sim:output_tokens=40');
    expect(message.usage.output_tokens).toBe(40);
    expect((message.content[0] as Anthropic.TextBlock).text.split(' ')).toHaveLength(40);
  });

  it('stops before a stop sequence and names it', async () => {
    const full = await ask('Tell me about streams');
    const words = (full.content[0] as Anthropic.TextBlock).text.split(' ');
    const stopAt = words[5] ?? '';
    const cut = await ask('Tell me about streams', { stop_sequences: [` ${stopAt}`] });
    expect(cut.stop_reason).toBe('stop_sequence');
    expect(cut.stop_sequence).toBe(` ${stopAt}`);
    const text = (cut.content[0] as Anthropic.TextBlock).text;
    expect(`${words.join(' ')}`.startsWith(text)).toBe(true);
    expect(text.split(' ').length).toBeLessThanOrEqual(5);
  });

  it('continues a prefilled assistant turn and combines consecutive turns of one role', async () => {
    const message = await h.client().messages.create({
      model: MODEL,
      max_tokens: 1024,
      messages: [
        { role: 'user', content: 'One' },
        { role: 'user', content: 'Two' },
        { role: 'assistant', content: 'The answer is' },
      ],
    });
    expect(message.stop_reason).toBe('end_turn');
    expect(message.content[0]?.type).toBe('text');
  });

  it('returns JSON matching output_config.format when structured output is asked for', async () => {
    const message = await ask('Give me a person', {
      output_config: {
        format: {
          type: 'json_schema',
          schema: {
            type: 'object',
            properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 18 } },
            required: ['name', 'age'],
            additionalProperties: false,
          },
        },
      },
    });
    const value = JSON.parse((message.content[0] as Anthropic.TextBlock).text) as Record<
      string,
      unknown
    >;
    expect(typeof value['name']).toBe('string');
    expect(value['age']).toBe(18);
  });

  it('counts tokens like a create would bill them', async () => {
    const count = await h.client().messages.countTokens({
      model: MODEL,
      messages: [{ role: 'user', content: 'x'.repeat(400) }],
    });
    const message = await ask('x'.repeat(400));
    expect(count.input_tokens).toBe(message.usage.input_tokens);
  });
});

describe('validation, as typed SDK errors', () => {
  it('an unknown model is a 404 not_found_error naming the model', async () => {
    const error = await h
      .client()
      .messages.create({
        model: 'claude-nonexistent',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    const e = error as InstanceType<typeof Anthropic.NotFoundError>;
    expect(e.status).toBe(404);
    expect(e.type).toBe('not_found_error');
    expect(e.apiMessage).toBe('model: claude-nonexistent');
    expect(e.requestID).toMatch(/^req_/);
    expect(e.error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
      request_id: e.requestID,
    });
  });

  it.each([
    [
      'a missing max_tokens',
      { model: MODEL, messages: [{ role: 'user', content: 'hi' }] },
      'max_tokens: Field required',
    ],
    [
      'a missing model',
      { max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] },
      'model: Field required',
    ],
    [
      'an unknown role',
      { model: MODEL, max_tokens: 5, messages: [{ role: 'bot', content: 'hi' }] },
      "messages.0.role: Input should be 'user', 'assistant' or 'system'",
    ],
    [
      'an unknown field',
      { model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], foo: 1 },
      'foo: Extra inputs are not permitted',
    ],
    [
      'a block without its text',
      { model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text' }] }] },
      'messages.0.content.0.text: Field required',
    ],
    [
      'an assistant first turn',
      { model: MODEL, max_tokens: 5, messages: [{ role: 'assistant', content: 'hi' }] },
      'messages: first message must use the "user" role',
    ],
    [
      'no messages',
      { model: MODEL, max_tokens: 5, messages: [] },
      'messages: at least one message is required',
    ],
    [
      'an empty user message',
      { model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: '' }] },
      'messages.0: all messages must have non-empty content except for the optional final assistant message',
    ],
  ])('%s is a 400 invalid_request_error', async (_name, body, message) => {
    const error = await h
      .client()
      .messages.create(body as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as APIError).type).toBe('invalid_request_error');
    expect((error as APIError).apiMessage).toBe(message);
  });

  it('max_tokens over the model limit is a 400 (sent raw: the SDK refuses it before sending)', async () => {
    const response = await h.api('/v1/messages', {
      json: { model: MODEL, max_tokens: 1_000_000, messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: {
        type: 'invalid_request_error',
        message: `max_tokens: 1000000 > 64000, which is the maximum allowed number of output tokens for ${MODEL}`,
      },
    });
  });

  it('a missing API key is a 401 authentication_error', async () => {
    const response = await h.api('/v1/messages', {
      json: { model: MODEL },
      headers: { 'x-api-key': '' },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error' },
    });
  });

  it('a wrong API key is a 401 when keys are configured, and AuthenticationError in the SDK', async () => {
    const strict = await startHarness({ SIM_API_KEYS: 'good-key' });
    try {
      const error = await strict
        .client({ apiKey: 'bad-key' })
        .messages.create({
          model: MODEL,
          max_tokens: 5,
          messages: [{ role: 'user', content: 'hi' }],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
      const ok = await strict.client({ apiKey: 'good-key' }).messages.create({
        model: MODEL,
        max_tokens: 5,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(ok.type).toBe('message');
    } finally {
      await strict.close();
    }
  });

  it('a missing anthropic-version header is a 400', async () => {
    const response = await fetch(`${h.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { message: 'anthropic-version: header is required' },
    });
  });

  it('a body over 32 MB is a 413 request_too_large', async () => {
    const response = await h.api('/v1/messages', {
      json: {
        model: MODEL,
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x'.repeat(33 * 1024 * 1024) }],
      },
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      type: 'error',
      error: { type: 'request_too_large' },
    });
  });

  it('malformed JSON is a 400', async () => {
    const response = await h.api('/v1/messages', { method: 'POST', body: '{"model":' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('an unknown path is a 404 in the API shape, with a request-id', async () => {
    const response = await h.api('/v1/nothing-here');
    expect(response.status).toBe(404);
    const body = (await response.json()) as { request_id: string };
    expect(body).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    expect(response.headers.get('request-id')).toBe(body.request_id);
  });
});

describe('models', () => {
  it('lists and retrieves the models it serves', async () => {
    const page = await h.client().models.list();
    expect(page.data.map((m) => m.id)).toContain(MODEL);
    const model = await h.client().models.retrieve(MODEL);
    expect(model).toMatchObject({ id: MODEL, type: 'model' });
  });
});
