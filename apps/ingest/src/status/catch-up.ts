/**
 * Whether the status view has read everything that was on `pipeline.status` when it started:
 * until then a missing job may only be "not read yet", so `GET /v1/jobs/:id` answers 503 rather
 * than 404, and `/readyz` says not ready.
 *
 * Targets are the partitions' end offsets at start. Progress comes from the consumer's
 * end-of-batch events, whose last offset also counts transaction markers and aborted records
 * (which the consumer never hands over as messages), so a partition that ends in a commit marker
 * is still reached.
 */
export interface PartitionOffsets {
  partition: number;
  /** First offset still in the log. */
  low: string;
  /** Offset the next record will get. */
  high: string;
}

export interface CatchUpTracker {
  /** Sets the targets; a partition whose log is empty (low = high) is caught up already. */
  start(partitions: readonly PartitionOffsets[]): void;
  /** The consumer has read everything before `nextOffset` on this partition. */
  advance(partition: number, nextOffset: string): void;
  /** True once every target is reached; stays true. */
  readonly caughtUp: boolean;
  /** Records still to read before caught up (0 once caught up, undefined before `start`). */
  readonly remaining: number | undefined;
}

export function createCatchUpTracker(): CatchUpTracker {
  let targets: Map<number, bigint> | undefined;
  const positions = new Map<number, bigint>();
  let done = false;

  const behind = (partition: number, target: bigint): bigint => {
    const position = positions.get(partition) ?? 0n;
    return position >= target ? 0n : target - position;
  };
  const check = () => {
    if (done || targets === undefined) return;
    done = [...targets].every(([partition, target]) => behind(partition, target) === 0n);
  };

  return {
    start(partitions) {
      targets = new Map();
      for (const { partition, low, high } of partitions) {
        const lowOffset = BigInt(low);
        const highOffset = BigInt(high);
        // An empty log: nothing to read. Otherwise reading starts at `low` at the earliest.
        if (highOffset > lowOffset) targets.set(partition, highOffset);
        positions.set(partition, maxOf(positions.get(partition) ?? 0n, lowOffset));
      }
      check();
    },
    advance(partition, nextOffset) {
      positions.set(partition, maxOf(positions.get(partition) ?? 0n, BigInt(nextOffset)));
      check();
    },
    get caughtUp() {
      return done;
    },
    get remaining() {
      if (targets === undefined) return undefined;
      if (done) return 0;
      let sum = 0n;
      for (const [partition, target] of targets) sum += behind(partition, target);
      return Number(sum);
    },
  };
}

const maxOf = (a: bigint, b: bigint): bigint => (a > b ? a : b);
