import { requiresStreaming } from './messages-client.ts';
import { estimateInputTokens } from './tokens.ts';

describe('streaming decision (the SDK refuses non-streaming calls expected to exceed 10 minutes)', () => {
  it('streams above 21,333 output tokens', () => {
    expect(requiresStreaming('claude-sonnet-4-6', 21_333)).toBe(false);
    expect(requiresStreaming('claude-sonnet-4-6', 21_334)).toBe(true);
  });

  it('streams above the per-model non-streaming limits', () => {
    expect(requiresStreaming('claude-opus-4-1@20250805', 8_192)).toBe(false);
    expect(requiresStreaming('claude-opus-4-1@20250805', 8_193)).toBe(true);
  });
});

describe('input token estimate', () => {
  it('is on the high side of the API count (chars / 3.5, per-turn and tool overheads)', () => {
    const plain = estimateInputTokens(
      { messages: [{ role: 'user', content: 'x'.repeat(350) }] },
      3.5,
    );
    expect(plain).toBe(100 + 4);
    const withTools = estimateInputTokens(
      {
        system: 'y'.repeat(35),
        messages: [{ role: 'user', content: 'x'.repeat(350) }],
        tools: [{ name: 't', input_schema: { type: 'object' } }],
      },
      3.5,
    );
    expect(withTools).toBeGreaterThan(plain + 10 + 300);
  });
});
