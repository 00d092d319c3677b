import { ApiError } from '../errors.ts';
import { firstUserTextOf, parseMessagesRequest } from './messages-request.ts';
import { MODEL, models, requestOf } from '../../test/fixtures/requests.ts';

const rejects = (body: Record<string, unknown>): ApiError => {
  try {
    parseMessagesRequest({ model: MODEL, max_tokens: 10, ...body }, models);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected a rejection');
};

describe('parseMessagesRequest', () => {
  it('combines consecutive messages of one role into one turn, as the API does', () => {
    const request = requestOf({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'user', content: [{ type: 'text', text: 'b' }] },
        { role: 'assistant', content: 'c' },
        { role: 'user', content: 'd' },
      ],
    });
    expect(request.turns.map((t) => [t.role, t.index, t.blocks.length])).toEqual([
      ['user', 0, 2],
      ['assistant', 2, 1],
      ['user', 3, 1],
    ]);
    expect(request.firstUserText).toBe('a\nb');
  });

  it('collects the system parameter and system-role messages', () => {
    const request = requestOf({
      system: 'be brief',
      messages: [
        { role: 'system', content: 'and kind' },
        { role: 'user', content: 'hi' },
      ],
    });
    expect(request.system.map((b) => b.text)).toEqual(['be brief', 'and kind']);
    expect(request.turns).toHaveLength(1);
  });

  it('an unknown model is a 404 naming it', () => {
    const error = rejects({ model: 'gpt-4', messages: [{ role: 'user', content: 'x' }] });
    expect([error.status, error.type, error.message]).toEqual([
      404,
      'not_found_error',
      'model: gpt-4',
    ]);
  });

  it.each([
    [
      { messages: [{ role: 'user', content: 'x' }], max_tokens: -1 },
      'max_tokens: Input should be greater than or equal to 0',
    ],
    [
      { messages: [{ role: 'user', content: 'x' }], stop_sequences: ['  '] },
      'stop_sequences: each stop sequence must contain non-whitespace',
    ],
    [
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: 'y ' },
        ],
      },
      'messages: final assistant content cannot end with trailing whitespace',
    ],
    [
      {
        messages: [{ role: 'user', content: 'x' }],
        max_tokens: 2000,
        thinking: { type: 'enabled', budget_tokens: 2000 },
      },
      '`max_tokens` must be greater than `thinking.budget_tokens`',
    ],
    [
      { messages: [{ role: 'user', content: 'x' }], tool_choice: { type: 'any' } },
      'tool_choice: tool_choice may only be specified while providing tools',
    ],
    [
      {
        messages: [
          { role: 'system', content: [{ type: 'image', source: { type: 'url', url: 'u' } }] },
        ],
      },
      'messages.0.content: system messages may only contain text',
    ],
    [
      { messages: [{ role: 'user', content: [] }] },
      'messages.0: all messages must have non-empty content except for the optional final assistant message',
    ],
  ])('%j → %s', (body, message) => {
    expect(rejects(body).message).toBe(message);
  });

  it('accepts server tools and the parameters it does not interpret', () => {
    const request = requestOf({
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }],
      thinking: { type: 'adaptive' },
      metadata: { user_id: 'u-1' },
      service_tier: 'auto',
      temperature: 0.5,
    });
    expect(request.customTools).toEqual([]);
  });

  it('accepts a final assistant turn with tool_use (the client has not answered yet)', () => {
    const request = requestOf({
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] },
      ],
    });
    expect(request.turns).toHaveLength(2);
  });
});

describe('firstUserTextOf', () => {
  it('reads the first user message of any body, valid or not', () => {
    expect(
      firstUserTextOf({
        messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'image' }] }],
      }),
    ).toBe('a\n');
    expect(firstUserTextOf({ messages: 'nope' })).toBe('');
    expect(firstUserTextOf(null)).toBe('');
    expect(
      firstUserTextOf({
        messages: [
          { role: 'assistant', content: 'x' },
          { role: 'user', content: 'y' },
        ],
      }),
    ).toBe('y');
  });
});
