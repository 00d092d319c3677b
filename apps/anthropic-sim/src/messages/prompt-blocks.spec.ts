import { canonicalBlock, layoutPrompt } from './prompt-blocks.ts';
import { requestOf } from '../../test/fixtures/requests.ts';

describe('layoutPrompt', () => {
  it('orders tools, system, then messages, with estimated tokens', () => {
    const layout = layoutPrompt(
      requestOf({
        tools: [{ name: 't', input_schema: { type: 'object' } }],
        system: 'x'.repeat(40),
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'y'.repeat(8) },
              { type: 'image', source: { type: 'url', url: 'u' } },
            ],
          },
        ],
      }),
      4,
    );
    expect(layout.blocks.map((b) => [b.section, b.tokens])).toEqual([
      [
        'tool',
        300 + Math.ceil(JSON.stringify({ name: 't', input_schema: { type: 'object' } }).length / 4),
      ],
      ['system', 10],
      ['user', 2 + 3],
      ['user', 1_600],
    ]);
    expect(layout.totalTokens).toBe(layout.blocks.reduce((sum, b) => sum + b.tokens, 0));
    expect(layout.hasBreakpoints).toBe(false);
  });

  it('marks breakpoints with their TTL; top-level cache_control marks the last block', () => {
    const layout = layoutPrompt(
      requestOf({
        cache_control: { type: 'ephemeral', ttl: '1h' },
        system: [{ type: 'text', text: 's', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'q' }],
      }),
      4,
    );
    expect(layout.blocks.map((b) => b.cacheTtl)).toEqual(['5m', '1h']);
  });

  it('the cache key ignores the cache_control marker', () => {
    const a = layoutPrompt(
      requestOf({
        messages: [
          {
            role: 'user',
            content: [{ type: 'text', text: 'q', cache_control: { type: 'ephemeral' } }],
          },
        ],
      }),
      4,
    );
    const b = layoutPrompt(
      requestOf({ messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }] }),
      4,
    );
    expect(canonicalBlock(a.blocks[0]!)).toBe(canonicalBlock(b.blocks[0]!));
  });
});
