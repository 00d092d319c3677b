/**
 * Offsets of one partition that were handed to handlers, in fetch order. Handlers finish in any
 * order; the commit watermark only moves past a contiguous prefix of finished offsets, so a
 * restart resumes at the first unfinished record.
 *
 * The window — offsets dispatched at or after the last COMMITTED offset — is what a crash can
 * replay. The consumer never lets it exceed its in-flight limit, so replays after a crash are
 * bounded by that limit, whatever the commit interval.
 */
export class PartitionTracker {
  readonly topic: string;
  readonly partition: number;
  /** The consumer-group generation this tracker belongs to. */
  readonly generation: number;
  private readonly offsets: number[] = [];
  private readonly done = new Set<number>();
  /** Index of the first unfinished offset. */
  private head = 0;
  /** Index of the first offset not covered by a successful commit. */
  private commitHead = 0;
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
  }

  /** Offsets dispatched and not yet committed: what a crash now would replay. */
  get window(): number {
    return this.offsets.length - this.commitHead;
  }

  /** Offsets dispatched and not finished. */
  get running(): number {
    return this.offsets.length - this.head - this.done.size;
  }

  /** The offset to commit, if it moved since the last `markCommitted`. */
  pendingCommit(): number | undefined {
    return this.watermark !== undefined && this.watermark !== this.committedWatermark
      ? this.watermark
      : undefined;
  }

  markCommitted(offset: number): void {
    if (this.committedWatermark !== undefined && offset <= this.committedWatermark) return;
    this.committedWatermark = offset;
    for (;;) {
      const o = this.offsets[this.commitHead];
      if (o === undefined || o >= offset) break;
      this.commitHead += 1;
    }
    // Compact now and then so the array does not grow without bound.
    if (this.commitHead > 1024 && this.commitHead * 2 > this.offsets.length) {
      this.offsets.splice(0, this.commitHead);
      this.head -= this.commitHead;
      this.commitHead = 0;
    }
  }
}
