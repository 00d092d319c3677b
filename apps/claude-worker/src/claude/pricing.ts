import type { Usage } from '@claude-pipeline/schemas';

/**
 * Estimated cost from usage and list prices (USD per million tokens). Cache writes cost 1.25×
 * the input price (5-minute TTL), cache reads 0.1×; the batch tier halves everything. Models are
 * matched by family so dated ids (`claude-sonnet-4-5-20250929`) price like their alias; an
 * unknown family is priced as Sonnet.
 */
export interface ModelPrice {
  /** USD per million input tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
}

/** First match wins: Opus 4 / 4.1 before the cheaper later Opus models. */
const PRICES: readonly (readonly [RegExp, ModelPrice])[] = [
  [/^claude-opus-4(-[01])?($|-20\d{6}|@)/, { input: 15, output: 75 }],
  [/^claude-3-opus/, { input: 15, output: 75 }],
  [/^claude-opus/, { input: 5, output: 25 }], // Opus 4.5 and later
  [/^claude-(3-5-|3-7-)?sonnet/, { input: 3, output: 15 }],
  [/^claude-3-5-haiku/, { input: 0.8, output: 4 }],
  [/^claude-3-haiku/, { input: 0.25, output: 1.25 }],
  [/^claude-haiku/, { input: 1, output: 5 }],
];

/** Unknown models are priced as Sonnet: an estimate, never a refusal. */
const FALLBACK: ModelPrice = { input: 3, output: 15 };

export function priceOf(model: string): ModelPrice {
  const bare = model.replace(/^.*[./]/, ''); // cloud prefixes: `anthropic.claude-...`
  for (const [pattern, price] of PRICES) {
    if (pattern.test(bare)) return price;
  }
  return FALLBACK;
}

const CACHE_WRITE_FACTOR = 1.25;
const CACHE_READ_FACTOR = 0.1;
const BATCH_FACTOR = 0.5;

/** USD, rounded to 1e-9 so sums of many stay exact enough and JSON stays short. */
export function estimateCost(model: string, usage: Usage, tier: 'realtime' | 'batch'): number {
  const p = priceOf(model);
  const perToken = (usd: number) => usd / 1_000_000;
  const cost =
    usage.input_tokens * perToken(p.input) +
    usage.output_tokens * perToken(p.output) +
    usage.cache_creation_input_tokens * perToken(p.input * CACHE_WRITE_FACTOR) +
    usage.cache_read_input_tokens * perToken(p.input * CACHE_READ_FACTOR);
  const total = tier === 'batch' ? cost * BATCH_FACTOR : cost;
  return Math.round(total * 1e9) / 1e9;
}
