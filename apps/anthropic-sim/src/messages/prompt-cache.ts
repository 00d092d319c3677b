import { createHash } from 'node:crypto';
import type { SimClock } from '../clock.ts';
import { canonicalBlock, type PromptLayout } from './prompt-blocks.ts';

/**
 * Prompt caching as the API documents it: a `cache_control` breakpoint makes the prefix up to and
 * including its block cacheable (if it has at least the minimum number of tokens); a later request
 * reads the longest cached prefix it shares, looking back up to 20 blocks before each of its
 * breakpoints; a hit refreshes the entry's time to live (5 minutes, or 1 hour with `ttl: "1h"`).
 * Entries are per model and live in memory.
 */
export interface CacheUsage {
  readTokens: number;
  creation5mTokens: number;
  creation1hTokens: number;
  /** Input tokens neither read from nor written to the cache. */
  uncachedTokens: number;
}

export interface CachePlan {
  usage: CacheUsage;
  /** Writes the new entries and refreshes the hit: call once the request is admitted. */
  commit(): void;
}

export interface PromptCache {
  plan(model: string, layout: PromptLayout): CachePlan;
  clear(): void;
  size(): number;
}

export interface PromptCacheOptions {
  clock: SimClock;
  /** Shortest cacheable prefix, tokens (the API's minimum is 1,024–4,096 by model). */
  minTokens: number;
  /** Entries kept at most; the least recently used go first. */
  maxEntries?: number;
}

/** How far before a breakpoint the API looks for an earlier cached prefix, blocks. */
const LOOKBACK_BLOCKS = 20;
const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;
const DEFAULT_MAX_ENTRIES = 100_000;

interface Entry {
  expiresAt: number;
  ttlMs: number;
}

export function createPromptCache(options: PromptCacheOptions): PromptCache {
  const entries = new Map<string, Entry>();
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;

  const put = (key: string, entry: Entry): void => {
    entries.delete(key); // re-insert: Map order is the LRU order
    entries.set(key, entry);
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done === true) break;
      entries.delete(oldest.value);
    }
  };

  function plan(model: string, layout: PromptLayout): CachePlan {
    const noCache: CachePlan = {
      usage: {
        readTokens: 0,
        creation5mTokens: 0,
        creation1hTokens: 0,
        uncachedTokens: layout.totalTokens,
      },
      commit: () => undefined,
    };
    if (!layout.hasBreakpoints) return noCache;
    const { blocks } = layout;
    const now = options.clock.now();

    // Prefix keys are needed only near breakpoints: mark those positions first.
    const wanted = new Set<number>();
    blocks.forEach((block, i) => {
      if (block.cacheTtl === undefined) return;
      for (let p = i; p >= Math.max(0, i - LOOKBACK_BLOCKS + 1); p--) wanted.add(p);
    });
    const keys = new Map<number, string>();
    const cumulative: number[] = [];
    const hash = createHash('sha256').update(model).update('\u0000');
    let running = 0;
    blocks.forEach((block, i) => {
      hash.update(canonicalBlock(block)).update('\u0000');
      running += block.tokens;
      cumulative.push(running);
      if (wanted.has(i)) keys.set(i, hash.copy().digest('base64'));
    });

    // The longest live prefix: scan windows from the last breakpoint backwards.
    let hit = -1;
    for (let b = blocks.length - 1; b >= 0 && hit < 0; b--) {
      if (blocks[b]?.cacheTtl === undefined) continue;
      for (let p = b; p >= Math.max(0, b - LOOKBACK_BLOCKS + 1); p--) {
        const entry = entries.get(keys.get(p) ?? '');
        if (entry !== undefined && entry.expiresAt > now) {
          hit = p;
          break;
        }
      }
    }

    const readTokens = hit >= 0 ? (cumulative[hit] ?? 0) : 0;
    const writes: { key: string; ttlMs: number }[] = [];
    let creation5mTokens = 0;
    let creation1hTokens = 0;
    let covered = readTokens;
    blocks.forEach((block, b) => {
      const upTo = cumulative[b] ?? 0;
      if (b <= hit || block.cacheTtl === undefined || upTo < options.minTokens) return;
      if (block.cacheTtl === '1h') creation1hTokens += upTo - covered;
      else creation5mTokens += upTo - covered;
      covered = upTo;
      writes.push({ key: keys.get(b) ?? '', ttlMs: TTL_MS[block.cacheTtl] });
    });

    const hitKey = hit >= 0 ? keys.get(hit) : undefined;
    return {
      usage: {
        readTokens,
        creation5mTokens,
        creation1hTokens,
        uncachedTokens: Math.max(0, layout.totalTokens - covered),
      },
      commit() {
        const at = options.clock.now();
        if (hitKey !== undefined) {
          const entry = entries.get(hitKey);
          if (entry !== undefined) put(hitKey, { ...entry, expiresAt: at + entry.ttlMs });
        }
        for (const write of writes)
          put(write.key, { expiresAt: at + write.ttlMs, ttlMs: write.ttlMs });
      },
    };
  }

  return { plan, clear: () => entries.clear(), size: () => entries.size };
}
