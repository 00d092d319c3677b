import type { CircuitBreaker } from './circuit-breaker.ts';

/**
 * One callback destination (an origin: scheme, host, port). It isolates that endpoint from all
 * others: at most `concurrency` requests at once, a bounded wait queue, a pause when the endpoint
 * asked for one (429 + Retry-After), and a circuit breaker. A record that cannot be sent soon is
 * not kept waiting: `acquire` throws DestinationUnavailable and the record leaves the hot path
 * (a retry stage), so a slow or dead endpoint never holds the partitions healthy ones share.
 */
export type UnavailableReason =
  /** The circuit is open: the endpoint has been failing. */
  | 'open'
  /** The endpoint asked us to wait (429) longer than we wait in process. */
  | 'paused'
  /** Every connection is busy and the endpoint is not answering, or the wait queue is full. */
  | 'busy';

/** Longest single wait before a waiter re-checks (ms). */
const MAX_WAIT_MS = 1000;

export class DestinationUnavailable extends Error {
  readonly reason: UnavailableReason;
  /** When it is worth trying again (ms from now). */
  readonly retryInMs: number;

  constructor(origin: string, reason: UnavailableReason, retryInMs: number) {
    const why = {
      open: 'circuit open',
      paused: 'paused by the endpoint (429)',
      busy: 'busy (no free connection in time)',
    }[reason];
    super(`${origin}: ${why}, retry in ${Math.round(retryInMs)} ms`);
    this.name = 'DestinationUnavailable';
    this.reason = reason;
    this.retryInMs = retryInMs;
  }
}

/** A held connection slot; give back the attempt's effect on the circuit. */
export interface Slot {
  readonly probe: boolean;
  release(effect: 'success' | 'failure' | 'neutral'): void;
}

export interface DestinationOptions {
  origin: string;
  breaker: CircuitBreaker;
  /** Requests in flight at once. */
  concurrency: number;
  /** Records waiting for a slot; more are shed at once. */
  queueLimit: number;
  /** Pauses up to this long (ms) are waited out in process; longer ones shed the record. */
  shortPauseMs: number;
  /**
   * At full concurrency with no request finished for this long (ms), the endpoint counts as
   * stalled: new records are shed at once instead of queueing behind it.
   */
  stallMs: number;
  /** How long to tell a shed-because-busy record to wait (ms). */
  busyRetryMs: number;
  now?: () => number;
}

export interface AcquireOptions {
  /**
   * Stop waiting at this time (epoch ms): the record is shed as `busy` (or `paused`). A free
   * slot is taken whatever the time.
   */
  deadline?: number;
}

export interface Destination {
  readonly origin: string;
  readonly breaker: CircuitBreaker;
  acquire(options?: AcquireOptions): Promise<Slot>;
  /** The endpoint asked for a pause until `until` (epoch ms). */
  pause(until: number): void;
  readonly pausedUntil: number;
  readonly inFlight: number;
  readonly queued: number;
  /**
   * When a request last finished (on the destination's clock), or when it went from idle to
   * busy: an attempt started after it with nothing finished since is waiting on an endpoint
   * that has not answered anything meanwhile.
   */
  readonly lastProgress: number;
  /** When it last had anything in flight or queued (epoch ms), for idle eviction. */
  readonly lastActive: number;
  /** Wake every waiter (they re-check state); e.g. after the breaker changed. */
  wake(): void;
}

export function createDestination(options: DestinationOptions): Destination {
  const now = options.now ?? Date.now;
  const { origin, breaker } = options;
  let inFlight = 0;
  let pausedUntil = 0;
  let lastActive = now();
  /** Last time a request finished, or the time the destination first went busy. */
  let lastProgress = now();
  const waiters = new Set<() => void>();

  /** Every waiter re-checks: the state changed (pause, circuit). */
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  /**
   * One waiter re-checks, the longest waiting first: a slot was freed. Waking all of them per
   * freed slot cost O(waiters) timers and promises per request (quadratic under load) for one
   * winner; the rest went back to sleep.
   */
  const wakeOne = () => {
    const first = waiters.values().next();
    if (!first.done) first.value();
  };

  /** Waits until woken or `ms` passed (at most a second: the loop re-checks state anyway). */
  const waitFor = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(Math.max(0, ms), MAX_WAIT_MS));
      waiters.add(done);
    });

  const { concurrency } = options;
  const stalled = (t: number) => inFlight >= concurrency && t - lastProgress >= options.stallMs;

  async function acquire(options: AcquireOptions = {}): Promise<Slot> {
    try {
      return await tryAcquire(options);
    } finally {
      // Leaving with a slot to spare (shed, or a slot freed meanwhile): pass the turn on.
      if (inFlight < concurrency && waiters.size > 0) wakeOne();
    }
  }

  async function tryAcquire({ deadline = Infinity }: AcquireOptions): Promise<Slot> {
    for (;;) {
      const t = now();
      lastActive = t;
      if (pausedUntil > t) {
        const wait = pausedUntil - t;
        if (wait > options.shortPauseMs || pausedUntil > deadline) {
          throw new DestinationUnavailable(origin, 'paused', wait);
        }
        await waitFor(wait);
        continue;
      }
      if (inFlight >= options.concurrency) {
        if (t >= deadline || stalled(t) || waiters.size >= options.queueLimit) {
          throw new DestinationUnavailable(origin, 'busy', options.busyRetryMs);
        }
        await waitFor(Math.min(deadline - t, options.stallMs));
        continue;
      }
      const admission = breaker.admit();
      if (admission.kind === 'reject') {
        throw new DestinationUnavailable(origin, 'open', admission.retryInMs);
      }
      if (admission.kind === 'wait') {
        // A probe is out. Unanswered for a whole stall period, it is hanging like the requests
        // that opened the circuit: shed at once, as for a stalled destination, rather than let
        // every record for this origin hold its partition slot for its full budget while the
        // probe runs to its timeout.
        const probeHangs = inFlight > 0 && t - lastProgress >= options.stallMs;
        if (t >= deadline || probeHangs || waiters.size >= options.queueLimit) {
          throw new DestinationUnavailable(origin, 'busy', options.busyRetryMs);
        }
        await waitFor(Math.min(deadline - t, options.stallMs));
        continue;
      }
      if (inFlight === 0) lastProgress = t;
      inFlight += 1;
      return slot(admission.kind === 'probe');
    }
  }

  function slot(probe: boolean): Slot {
    let released = false;
    return {
      probe,
      release(effect) {
        if (released) return;
        released = true;
        inFlight -= 1;
        lastProgress = now();
        lastActive = lastProgress;
        if (effect === 'success') breaker.succeeded(probe);
        else if (effect === 'failure') breaker.failed(probe);
        else breaker.released(probe);
        wakeOne();
      },
    };
  }

  return {
    origin,
    breaker,
    acquire,
    wake,
    pause(until) {
      if (until > pausedUntil) pausedUntil = until;
      wake();
    },
    get pausedUntil() {
      return pausedUntil;
    },
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return waiters.size;
    },
    get lastActive() {
      return lastActive;
    },
    get lastProgress() {
      return lastProgress;
    },
  };
}
