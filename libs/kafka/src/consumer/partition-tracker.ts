/**
 * Offsets of one partition that were handed to handlers, in fetch order. Handlers finish in any
 * order; the commit watermark only moves past a contiguous prefix of finished offsets, so a
 * restart resumes at the first unfinished record (and replays at most what was in flight).
 */
export class PartitionTracker {
  readonly topic: string;
  readonly partition: number;
  /** The consumer-group generation this tracker belongs to. */
  readonly generation: number;
  private readonly offsets: number[] = [];
  private readonly done = new Set<number>();
  private head = 0;
  /** Next offset to commit (last contiguous finished + 1), or undefined if nothing finished. */
  private watermark: number | undefined;
  private committedWatermark: number | undefined;

  constructor(topic: string, partition: number, generation: number) {
    this.topic = topic;
    this.partition = partition;
    this.generation = generation;
  }

  dispatched(offset: number): void {
    this.offsets.push(offset);
  }

  finished(offset: number): void {
    this.done.add(offset);
    for (;;) {
      const o = this.offsets[this.head];
      if (o === undefined || !this.done.has(o)) break;
      this.done.delete(o);
      this.watermark = o + 1;
      this.head += 1;
    }
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      this.offsets.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Offsets dispatched and not finished. */
  get inFlight(): number {
    return this.offsets.length - this.head;
  }

  /** The offset to commit, if it moved since the last `markCommitted`. */
  pendingCommit(): number | undefined {
    return this.watermark !== undefined && this.watermark !== this.committedWatermark
      ? this.watermark
      : undefined;
  }

  markCommitted(offset: number): void {
    if (this.committedWatermark === undefined || offset > this.committedWatermark) {
      this.committedWatermark = offset;
    }
  }
}
