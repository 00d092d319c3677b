/**
 * A circuit breaker per destination origin. Closed: requests flow; `failureThreshold`
 * consecutive failures (5xx, 408, timeouts, connection errors) open it. Open: requests are shed
 * without touching the destination for a cooldown. Then half-open: ONE probe request goes
 * through while the others wait for its outcome; success closes the circuit, failure opens it
 * again for twice the cooldown (capped at `maxCooldownMs`). Any answer that shows the endpoint
 * is up (a 2xx or 4xx) closes it. Time is injected, so it is tested without timers.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export type Admission =
  | { kind: 'allow' }
  /** The one request that tests a half-open circuit. */
  | { kind: 'probe' }
  /** Half-open and a probe is in flight: wait for its outcome. */
  | { kind: 'wait' }
  /** Open: shed; the circuit may be probed again in `retryInMs`. */
  | { kind: 'reject'; retryInMs: number };

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** First open period (ms). */
  cooldownMs: number;
  /** Longest open period (ms), reached by doubling after each failed probe. */
  maxCooldownMs: number;
  now?: () => number;
  /** Told about every state change (metrics, logs, waking waiters). */
  onChange?: (state: CircuitState, previous: CircuitState) => void;
}

export interface CircuitBreaker {
  state(): CircuitState;
  admit(): Admission;
  /** The endpoint answered (2xx, 4xx): closes the circuit. */
  succeeded(probe: boolean): void;
  /** The endpoint failed (5xx, 408, timeout, connection error). */
  failed(probe: boolean): void;
  /** An attempt that says nothing about the endpoint (refused by us, 429): frees the probe. */
  released(probe: boolean): void;
  readonly consecutiveFailures: number;
}

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const now = options.now ?? Date.now;
  const { failureThreshold, cooldownMs, maxCooldownMs } = options;
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
    throw new RangeError(`failureThreshold must be an integer >= 1, got ${failureThreshold}`);
  }
  if (!(cooldownMs > 0) || !(maxCooldownMs >= cooldownMs)) {
    throw new RangeError('cooldownMs must be > 0 and maxCooldownMs >= cooldownMs');
  }
  let failures = 0;
  /** Set while open or half-open: when the open period ends. */
  let openUntil: number | undefined;
  let cooldown = cooldownMs;
  let probing = false;
  let last: CircuitState = 'closed';

  const state = (): CircuitState => {
    if (openUntil === undefined) return 'closed';
    return now() < openUntil ? 'open' : 'half-open';
  };

  const notify = () => {
    const current = state();
    if (current !== last) {
      const previous = last;
      last = current;
      options.onChange?.(current, previous);
    }
  };

  const open = (period: number) => {
    cooldown = period;
    openUntil = now() + period;
    probing = false;
    notify();
  };

  return {
    state() {
      notify();
      return state();
    },
    get consecutiveFailures() {
      return failures;
    },
    admit() {
      notify();
      const current = state();
      if (current === 'closed') return { kind: 'allow' };
      if (current === 'open') return { kind: 'reject', retryInMs: (openUntil ?? now()) - now() };
      if (probing) return { kind: 'wait' };
      probing = true;
      return { kind: 'probe' };
    },
    succeeded() {
      failures = 0;
      probing = false;
      if (openUntil !== undefined) {
        openUntil = undefined;
        cooldown = cooldownMs;
      }
      notify();
    },
    failed(probe) {
      if (probe) {
        failures += 1;
        open(Math.min(cooldown * 2, maxCooldownMs));
        return;
      }
      // Stragglers that fail while the circuit is already open or half-open change nothing.
      if (openUntil !== undefined) return;
      failures += 1;
      if (failures >= failureThreshold) open(cooldownMs);
    },
    released(probe) {
      if (probe) probing = false;
      notify();
    },
  };
}
