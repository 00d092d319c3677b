/**
 * A clock for the notifier's waiting budgets (hand-off, destination stall and queue deadlines,
 * pauses) that stands still while this process's event loop is stalled.
 *
 * Those budgets exist to tell a slow ENDPOINT from a healthy one. Measured on the wall clock
 * they also charge each record for time the process itself could not run: a batch of hundreds
 * of records dispatched at once, a long GC pause, or a CPU shared with other processes stalls
 * the loop for a second or more, every deadline set before it has passed when the loop runs
 * again, and healthy records are handed off or shed as `busy` to a retry stage, each then
 * waiting the first stage delay (5 s by default) before its delivery. Time lost that way is
 * time no endpoint could have answered in, so it is not counted here.
 *
 * How: a timer ticks every `tickMs`; a tick that runs more than `toleranceMs` late adds its
 * lateness to the time lost. Between ticks, a tick that is overdue counts as lost already, so
 * the clock never jumps forward after a stall and never runs backwards.
 */
export interface LoopClock {
  /** Epoch-like ms: wall time minus the time the event loop was stalled. */
  now(): number;
  /** Time lost to stalls so far (ms). */
  readonly lostMs: number;
  stop(): void;
}

export interface LoopClockOptions {
  /** The wall clock (default Date.now). */
  wall?: () => number;
  /** Default 10 ms. */
  tickMs?: number;
  /**
   * Lateness of a tick that is still normal timer jitter (ms). Default 5: a loop busy with
   * hundreds of records in flight runs its timers 5-50 ms late on every turn without any single
   * long stall; with a 20 ms tolerance that time still counted, and a burst of 1,500 results
   * had 160-180 healthy POSTs handed off (0 with 5 ms; bench/notifier/probe.ts, load 9).
   */
  toleranceMs?: number;
}

export function startLoopClock(options: LoopClockOptions = {}): LoopClock {
  const wall = options.wall ?? Date.now;
  const tickMs = options.tickMs ?? 10;
  const toleranceMs = options.toleranceMs ?? 5;
  let lost = 0;
  let expected = wall() + tickMs;
  const overdue = (t: number) => Math.max(0, t - expected - toleranceMs);
  const tick = () => {
    const t = wall();
    lost += overdue(t);
    expected = t + tickMs;
  };
  const timer = setInterval(tick, tickMs);
  timer.unref();
  return {
    now() {
      const t = wall();
      return t - lost - overdue(t);
    },
    get lostMs() {
      return lost + overdue(wall());
    },
    stop() {
      clearInterval(timer);
    },
  };
}
