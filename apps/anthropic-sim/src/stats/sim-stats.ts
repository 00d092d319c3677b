/**
 * What the sim served, for `GET /_sim/stats`: counts by status, model and endpoint, concurrency,
 * request rate, tokens, batches, and two measures of its own cost per request, so a benchmark can
 * tell when the sim itself becomes the bottleneck:
 * - `processing_ms`: its synchronous work (JSON parsing, validation, planning, serializing);
 * - `added_latency_ms`: wall time minus the waits it simulates (latency, time to first token,
 *   pacing): processing plus time spent queued behind other work in its event loop.
 */
export interface RequestOutcome {
  endpoint: string;
  model: string | undefined;
  /** HTTP status, or `reset` / `aborted` when no answer was completed. */
  status: string;
  /** Own synchronous work, milliseconds. */
  processingMs: number;
  /** Wall time minus simulated waits, milliseconds; undefined for hung requests. */
  addedLatencyMs: number | undefined;
}

export interface TokenCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
}

export type BatchEvent = 'created' | 'canceled' | 'ended' | 'deleted';

export interface SimStats {
  begin(): void;
  end(outcome: RequestOutcome): void;
  tokens(counts: TokenCounts): void;
  batch(event: BatchEvent): void;
  snapshot(): StatsSnapshot;
  reset(): void;
}

export interface StatsSnapshot {
  started_at: string;
  requests: {
    total: number;
    by_status: Record<string, number>;
    by_model: Record<string, number>;
    by_endpoint: Record<string, number>;
  };
  concurrency: { current: number; peak: number };
  rate: { requests_per_second_10s: number; requests_per_second_60s: number };
  tokens: { input: number; output: number; cache_read: number; cache_creation: number };
  batches: { created: number; canceled: number; ended: number; deleted: number };
  processing_ms: Distribution;
  added_latency_ms: Distribution;
}

export interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

/** Samples kept for percentiles (the most recent ones). */
const SAMPLES = 8_192;
/** Per-second request counts kept for the rate, seconds. */
const RATE_SLOTS = 60;

const bump = (table: Record<string, number>, key: string): void => {
  table[key] = (table[key] ?? 0) + 1;
};

const round = (value: number): number => Math.round(value * 1000) / 1000;

/** The most recent samples (for percentiles) plus running count, sum and max. */
function createReservoir(): { add(value: number): void; summary(): Distribution } {
  const samples = new Float64Array(SAMPLES);
  let count = 0;
  let sum = 0;
  let max = 0;
  const at = (sorted: Float64Array, p: number): number =>
    sorted.length === 0
      ? 0
      : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
  return {
    add(value) {
      samples[count % SAMPLES] = value;
      count++;
      sum += value;
      if (value > max) max = value;
    },
    summary() {
      const kept = samples.slice(0, Math.min(count, SAMPLES)).sort();
      return {
        count,
        mean: count === 0 ? 0 : round(sum / count),
        p50: round(at(kept, 0.5)),
        p99: round(at(kept, 0.99)),
        max: round(max),
      };
    },
  };
}

export function createSimStats(now: () => number = Date.now): SimStats {
  let startedAt = now();
  let total = 0;
  let byStatus: Record<string, number> = {};
  let byModel: Record<string, number> = {};
  let byEndpoint: Record<string, number> = {};
  let current = 0;
  let peak = 0;
  let tokens: TokenCounts = { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 };
  let batches = { created: 0, canceled: 0, ended: 0, deleted: 0 };
  let processing = createReservoir();
  let addedLatency = createReservoir();
  let rateSeconds = new Float64Array(RATE_SLOTS);
  let rateCounts = new Float64Array(RATE_SLOTS);

  const countRate = (): void => {
    const second = Math.floor(now() / 1000);
    const slot = second % RATE_SLOTS;
    if (rateSeconds[slot] !== second) {
      rateSeconds[slot] = second;
      rateCounts[slot] = 0;
    }
    rateCounts[slot] = (rateCounts[slot] ?? 0) + 1;
  };

  const rateOver = (seconds: number): number => {
    const nowSecond = Math.floor(now() / 1000);
    let sum = 0;
    for (let s = nowSecond - seconds + 1; s <= nowSecond; s++) {
      const slot = s % RATE_SLOTS;
      if (rateSeconds[slot] === s) sum += rateCounts[slot] ?? 0;
    }
    return round(sum / seconds);
  };

  return {
    begin() {
      current++;
      if (current > peak) peak = current;
    },
    end(outcome) {
      current = Math.max(0, current - 1);
      total++;
      bump(byStatus, outcome.status);
      bump(byEndpoint, outcome.endpoint);
      if (outcome.model !== undefined) bump(byModel, outcome.model);
      countRate();
      processing.add(outcome.processingMs);
      if (outcome.addedLatencyMs !== undefined) addedLatency.add(outcome.addedLatencyMs);
    },
    tokens(counts) {
      tokens = {
        input: tokens.input + counts.input,
        output: tokens.output + counts.output,
        cacheRead: tokens.cacheRead + counts.cacheRead,
        cacheCreation: tokens.cacheCreation + counts.cacheCreation,
      };
    },
    batch(event) {
      batches[event]++;
    },
    snapshot() {
      return {
        started_at: new Date(startedAt).toISOString(),
        requests: {
          total,
          by_status: { ...byStatus },
          by_model: { ...byModel },
          by_endpoint: { ...byEndpoint },
        },
        concurrency: { current, peak },
        rate: { requests_per_second_10s: rateOver(10), requests_per_second_60s: rateOver(60) },
        tokens: {
          input: tokens.input,
          output: tokens.output,
          cache_read: tokens.cacheRead,
          cache_creation: tokens.cacheCreation,
        },
        batches: { ...batches },
        processing_ms: processing.summary(),
        added_latency_ms: addedLatency.summary(),
      };
    },
    reset() {
      startedAt = now();
      total = 0;
      byStatus = {};
      byModel = {};
      byEndpoint = {};
      peak = current;
      tokens = { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 };
      batches = { created: 0, canceled: 0, ended: 0, deleted: 0 };
      processing = createReservoir();
      addedLatency = createReservoir();
      rateSeconds = new Float64Array(RATE_SLOTS);
      rateCounts = new Float64Array(RATE_SLOTS);
    },
  };
}
