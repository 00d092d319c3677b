import type { SystemPrompt, TextBlock } from '@claude-pipeline/schemas';
import { estimateTokens, textOfSystem } from './tokens.ts';

/**
 * Automatic prompt caching: a system prompt at least as long as the model's shortest cacheable
 * prefix gets a `cache_control` breakpoint on its last block, so repeats of it (the common case:
 * one instruction prompt, many inputs) are read from the cache at a tenth of the input price.
 * A prompt that already places its own breakpoints is left as the job wrote it.
 */

/** Shortest cacheable prefix per model family, tokens (Anthropic prompt-caching docs). */
const THRESHOLDS: readonly (readonly [string, number])[] = [
  ['claude-opus-4-5', 4096],
  ['claude-haiku-4-5', 4096],
  ['claude-3-5-haiku', 2048],
  ['claude-3-haiku', 2048],
];
const DEFAULT_THRESHOLD = 1024;

export function cacheThreshold(
  model: string,
  overrides: Readonly<Record<string, number>> = {},
): number {
  const override = overrides[model];
  if (override !== undefined) return override;
  const star = overrides['*'];
  if (star !== undefined) return star;
  const bare = model.replace(/^.*[./]/, '');
  for (const [prefix, tokens] of THRESHOLDS) if (bare.startsWith(prefix)) return tokens;
  return DEFAULT_THRESHOLD;
}

export interface CachingDecision {
  system: SystemPrompt | undefined;
  /** Whether a breakpoint was added here. */
  added: boolean;
}

export function withPromptCaching(
  system: SystemPrompt | undefined,
  model: string,
  options: { charsPerToken: number; thresholds?: Readonly<Record<string, number>> },
): CachingDecision {
  if (system === undefined) return { system, added: false };
  if (typeof system !== 'string' && system.some((b) => b.cache_control !== undefined)) {
    return { system, added: false };
  }
  // The estimate is on the high side: use the API's own ~4 chars/token here so a prompt just
  // under the threshold is not marked (a breakpoint below the minimum is ignored, but costs a
  // cache-write premium nowhere; still, keep requests as the job wrote them when in doubt).
  const tokens = estimateTokens(textOfSystem(system).length, Math.max(4, options.charsPerToken));
  if (tokens < cacheThreshold(model, options.thresholds)) return { system, added: false };
  const blocks: TextBlock[] =
    typeof system === 'string' ? [{ type: 'text', text: system }] : [...system];
  const last = blocks[blocks.length - 1];
  if (last === undefined) return { system, added: false };
  blocks[blocks.length - 1] = { ...last, cache_control: { type: 'ephemeral' } };
  return { system: blocks, added: true };
}
