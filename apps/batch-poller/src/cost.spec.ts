import { BATCH_DISCOUNT, batchCost, realtimeCostUsd } from './cost.ts';

const usage = (input: number, output: number, cacheWrite = 0, cacheRead = 0) => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: cacheWrite,
  cache_read_input_tokens: cacheRead,
});

describe('cost', () => {
  it('prices realtime usage per million tokens', () => {
    // Sonnet: $3 in, $15 out per million.
    expect(realtimeCostUsd('claude-sonnet-4-5', usage(1_000_000, 1_000_000))).toBeCloseTo(18);
    // Haiku 4.5: $1 in, $5 out.
    expect(realtimeCostUsd('claude-haiku-4-5', usage(2_000_000, 0))).toBeCloseTo(2);
  });

  it('prices cache writes at 1.25x and cache reads at 0.1x input', () => {
    expect(realtimeCostUsd('claude-sonnet-4-5', usage(0, 0, 1_000_000, 1_000_000))).toBeCloseTo(
      3 * 1.25 + 3 * 0.1,
    );
  });

  it('bills batches at half price and reports the saving', () => {
    const { costUsd, savedUsd } = batchCost('claude-opus-4-1', usage(1_000_000, 100_000));
    const realtime = 15 + 7.5;
    expect(BATCH_DISCOUNT).toBe(0.5);
    expect(costUsd).toBeCloseTo(realtime / 2);
    expect(savedUsd).toBeCloseTo(realtime / 2);
  });

  it('prices an unknown model like Sonnet rather than free', () => {
    expect(realtimeCostUsd('some-new-model', usage(1_000_000, 0))).toBeCloseTo(3);
  });
});
