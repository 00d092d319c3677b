import { cacheThreshold, withPromptCaching } from './caching.ts';

const long = 'x'.repeat(4 * 1100); // ~1,100 tokens at 4 chars/token
const short = 'x'.repeat(4 * 500);

describe('automatic prompt caching', () => {
  it('marks a system prompt above the model threshold with cache_control', () => {
    const decision = withPromptCaching(long, 'claude-sonnet-4-6', { charsPerToken: 3.5 });
    expect(decision.added).toBe(true);
    expect(decision.system).toEqual([
      { type: 'text', text: long, cache_control: { type: 'ephemeral' } },
    ]);
  });

  it('leaves a short prompt alone', () => {
    expect(withPromptCaching(short, 'claude-sonnet-4-6', { charsPerToken: 3.5 })).toEqual({
      system: short,
      added: false,
    });
  });

  it('uses the model threshold (Haiku 4.5 needs 4,096 tokens)', () => {
    expect(cacheThreshold('claude-haiku-4-5')).toBe(4096);
    expect(withPromptCaching(long, 'claude-haiku-4-5', { charsPerToken: 3.5 }).added).toBe(false);
    expect(
      withPromptCaching(long, 'claude-haiku-4-5', { charsPerToken: 3.5, thresholds: { '*': 512 } })
        .added,
    ).toBe(true);
  });

  it('marks the last block of a block prompt and respects breakpoints the job placed', () => {
    const blocks = [
      { type: 'text' as const, text: long },
      { type: 'text' as const, text: 'tail' },
    ];
    const decision = withPromptCaching(blocks, 'claude-sonnet-4-6', { charsPerToken: 3.5 });
    expect(decision.system).toEqual([
      blocks[0],
      { ...blocks[1], cache_control: { type: 'ephemeral' } },
    ]);
    const own = [
      {
        type: 'text' as const,
        text: long,
        cache_control: { type: 'ephemeral' as const, ttl: '1h' as const },
      },
    ];
    expect(withPromptCaching(own, 'claude-sonnet-4-6', { charsPerToken: 3.5 })).toEqual({
      system: own,
      added: false,
    });
  });

  it('does nothing without a system prompt', () => {
    expect(withPromptCaching(undefined, 'claude-sonnet-4-6', { charsPerToken: 3.5 }).added).toBe(
      false,
    );
  });
});
