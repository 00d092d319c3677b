import type { AttemptOutcome } from './outcome.ts';

/**
 * Attempts handed off to the background: their record moved on to a retry stage while the POST
 * was still running (see deliver.handler.ts). When the record comes back, the ledger says what
 * became of that attempt, so a delivery that did succeed is not sent again, one still running is
 * waited for (not duplicated), and a final refusal is dead-lettered without another POST.
 * In memory: after a restart a stage record is simply delivered again (same `webhook-id`).
 */
export interface HandoffEntry {
  readonly webhookId: string;
  /** Attempt number (status attempt list). */
  readonly number: number;
  /** Epoch ms by which the POST has ended for sure (its start + the request timeout). */
  readonly endsBy: number;
  readonly done: Promise<AttemptOutcome>;
  /** Set once the POST ended. */
  outcome: AttemptOutcome | undefined;
  /** Resolves with the record's next due time once the retry chain routed it. */
  readonly routed: Promise<number | undefined>;
  markRouted(notBefore: number | undefined): void;
}

export interface HandoffLedger {
  track(
    webhookId: string,
    number: number,
    done: Promise<AttemptOutcome>,
    endsBy: number,
  ): HandoffEntry;
  get(webhookId: string): HandoffEntry | undefined;
  delete(webhookId: string): void;
  /** Called when the POST of an entry ended: keep the outcome for `ttlMs` (or drop it). */
  settle(entry: HandoffEntry, outcome: AttemptOutcome, keep: boolean): void;
  /** POSTs still running. */
  running(): Promise<AttemptOutcome>[];
  readonly size: number;
}

export function createHandoffLedger(options: {
  /** How long a finished attempt is remembered (ms): longer than the longest stage delay. */
  ttlMs: number;
  /** At most this many entries; the oldest are forgotten first. */
  maxEntries?: number;
  now?: () => number;
}): HandoffLedger {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 100_000;
  const entries = new Map<string, HandoffEntry & { expiresAt: number }>();

  const evict = () => {
    const t = now();
    for (const [id, e] of entries) {
      if (e.outcome !== undefined && e.expiresAt <= t) entries.delete(id);
    }
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done) break;
      entries.delete(oldest.value);
    }
  };

  return {
    track(webhookId, number, done, endsBy) {
      let resolveRouted: (notBefore: number | undefined) => void = () => undefined;
      const routed = new Promise<number | undefined>((resolve) => (resolveRouted = resolve));
      const entry = {
        webhookId,
        number,
        endsBy,
        done,
        outcome: undefined,
        routed,
        markRouted: (notBefore: number | undefined) => resolveRouted(notBefore),
        expiresAt: Infinity,
      };
      entries.delete(webhookId);
      entries.set(webhookId, entry);
      if (entries.size > maxEntries) evict();
      return entry;
    },
    get(webhookId) {
      const entry = entries.get(webhookId);
      if (entry && entry.outcome !== undefined && entry.expiresAt <= now()) {
        entries.delete(webhookId);
        return undefined;
      }
      return entry;
    },
    delete(webhookId) {
      entries.delete(webhookId);
    },
    settle(entry, outcome, keep) {
      entry.outcome = outcome;
      const stored = entries.get(entry.webhookId);
      if (stored !== entry) return;
      if (keep) stored.expiresAt = now() + options.ttlMs;
      else entries.delete(entry.webhookId);
      evict();
    },
    running() {
      return [...entries.values()].filter((e) => e.outcome === undefined).map((e) => e.done);
    },
    get size() {
      return entries.size;
    },
  };
}

/** URLs that answered 410 Gone: no more deliveries to them for `ttlMs`. */
export interface GoneList {
  add(url: string): void;
  /** When the URL answered 410 (epoch ms), if it is still stopped. */
  since(url: string): number | undefined;
}

export function createGoneList(options: {
  ttlMs: number;
  maxEntries?: number;
  now?: () => number;
}): GoneList {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const gone = new Map<string, number>();
  return {
    add(url) {
      gone.delete(url);
      gone.set(url, now());
      while (gone.size > maxEntries) {
        const oldest = gone.keys().next();
        if (oldest.done) break;
        gone.delete(oldest.value);
      }
    },
    since(url) {
      const at = gone.get(url);
      if (at === undefined) return undefined;
      if (now() - at >= options.ttlMs) {
        gone.delete(url);
        return undefined;
      }
      return at;
    },
  };
}
