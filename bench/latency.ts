/**
 * Latency histograms of the benchmarks (HDR, µs, 3 significant digits) and their summary in ms:
 * shared by the ingest and end-to-end load generators and the end-to-end orchestrator (callback
 * latency), so all report the same percentiles the same way.
 */
import * as hdr from 'hdr-histogram-js';

export interface Latency {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** A histogram of µs values up to `highestUs` (default 10 min). */
export const latencyHistogram = (highestUs = 600_000_000): hdr.Histogram =>
  hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: highestUs,
    numberOfSignificantValueDigits: 3,
  });

export function summary(h: hdr.Histogram): Latency {
  const ms = (p: number) => h.getValueAtPercentile(p) / 1000;
  return {
    count: h.totalCount,
    p50: ms(50),
    p90: ms(90),
    p99: ms(99),
    p999: ms(99.9),
    max: h.maxValue / 1000,
    mean: h.mean / 1000,
  };
}
