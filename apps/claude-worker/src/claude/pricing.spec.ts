import { estimateCost, priceOf } from './pricing.ts';

const usage = (input: number, output: number, cacheWrite = 0, cacheRead = 0) => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: cacheWrite,
  cache_read_input_tokens: cacheRead,
});

describe('cost estimate', () => {
  it('prices input, output and cache reads (the schema fixture: 0.000525 USD)', () => {
    // 120 × $3/M + 9 × $15/M + 100 × $0.30/M
    expect(estimateCost('claude-sonnet-4-5', usage(120, 9, 0, 100), 'realtime')).toBeCloseTo(
      0.000525,
      9,
    );
  });

  it('charges cache writes at 1.25× input and halves the batch tier', () => {
    // 1,000,000 cache-write tokens of Haiku 4.5 ($1/M): $1.25
    expect(estimateCost('claude-haiku-4-5', usage(0, 0, 1_000_000), 'realtime')).toBeCloseTo(
      1.25,
      9,
    );
    expect(estimateCost('claude-haiku-4-5', usage(1_000_000, 0), 'batch')).toBeCloseTo(0.5, 9);
  });

  it('matches dated, cloud-prefixed and family ids', () => {
    expect(priceOf('claude-opus-4-1-20250805')).toEqual({ input: 15, output: 75 });
    expect(priceOf('claude-opus-4-20250514')).toEqual({ input: 15, output: 75 });
    expect(priceOf('claude-opus-4-5-20251101')).toEqual({ input: 5, output: 25 });
    expect(priceOf('claude-opus-4-6')).toEqual({ input: 5, output: 25 });
    expect(priceOf('anthropic.claude-3-5-haiku-20241022-v1:0')).toEqual({ input: 0.8, output: 4 });
    expect(priceOf('claude-haiku-4-5-20251001')).toEqual({ input: 1, output: 5 });
    expect(priceOf('some-future-model')).toEqual({ input: 3, output: 15 });
  });
});
