import type { Usage } from '@claude-pipeline/schemas';

/**
 * List prices in US dollars per million tokens (input, output). Cache writes cost 1.25x input,
 * cache reads 0.1x input. The Message Batches API bills half of each. These belong in a shared
 * price table (claude-worker needs the same); kept here until one exists.
 */
interface Price {
  input: number;
  output: number;
}

const PRICES: readonly (readonly [prefix: string, price: Price])[] = [
  ['claude-opus-4-1', { input: 15, output: 75 }],
  ['claude-opus-4-0', { input: 15, output: 75 }],
  ['claude-opus-4', { input: 15, output: 75 }],
  ['claude-3-opus', { input: 15, output: 75 }],
  ['claude-opus', { input: 5, output: 25 }],
  ['claude-sonnet', { input: 3, output: 15 }],
  ['claude-3-7-sonnet', { input: 3, output: 15 }],
  ['claude-3-5-sonnet', { input: 3, output: 15 }],
  ['claude-haiku-4', { input: 1, output: 5 }],
  ['claude-3-5-haiku', { input: 0.8, output: 4 }],
  ['claude-3-haiku', { input: 0.25, output: 1.25 }],
];

/** Unknown models are priced like Sonnet (the default), so cost is never silently zero. */
const FALLBACK: Price = { input: 3, output: 15 };

/** The Message Batches API bills 50% of the realtime price. */
export const BATCH_DISCOUNT = 0.5;

function priceOf(model: string): Price {
  const bare = model.includes('.') ? (model.split('.').pop() ?? model) : model;
  return PRICES.find(([prefix]) => bare.startsWith(prefix))?.[1] ?? FALLBACK;
}

/** Realtime (list) cost of a usage, US dollars. */
export function realtimeCostUsd(model: string, usage: Usage): number {
  const price = priceOf(model);
  const perToken = (perMillion: number) => perMillion / 1_000_000;
  return (
    usage.input_tokens * perToken(price.input) +
    usage.cache_creation_input_tokens * perToken(price.input * 1.25) +
    usage.cache_read_input_tokens * perToken(price.input * 0.1) +
    usage.output_tokens * perToken(price.output)
  );
}

/** Cost at the batch price, and what it saved against realtime, US dollars. */
export function batchCost(model: string, usage: Usage): { costUsd: number; savedUsd: number } {
  const realtime = realtimeCostUsd(model, usage);
  const costUsd = realtime * BATCH_DISCOUNT;
  return { costUsd, savedUsd: realtime - costUsd };
}
