import { createCircuitBreaker, type CircuitState } from './circuit-breaker.ts';
import { createDestination, type Destination } from './destination.ts';

/**
 * Destinations by origin, created on first use and forgotten when idle and healthy (an open
 * circuit or a pause is remembered until it has run out).
 */
export interface DestinationSettings {
  concurrency: number;
  queueLimit: number;
  shortPauseMs: number;
  stallMs: number;
  busyRetryMs: number;
  breaker: { failureThreshold: number; cooldownMs: number; maxCooldownMs: number };
  /** Forget an idle, healthy destination after this long (ms). Default 600000 (10 minutes). */
  idleMs?: number;
}

export interface DestinationRegistry {
  get(origin: string): Destination;
  /** Destinations whose circuit is open or half-open. */
  openCircuits(): number;
  readonly size: number;
  /** Forgets idle, healthy destinations (called periodically). */
  sweep(): void;
}

export function createDestinationRegistry(
  settings: DestinationSettings,
  hooks: {
    now?: () => number;
    onCircuitChange?: (origin: string, state: CircuitState, previous: CircuitState) => void;
  } = {},
): DestinationRegistry {
  const now = hooks.now ?? Date.now;
  const idleMs = settings.idleMs ?? 600_000;
  const destinations = new Map<string, Destination>();

  return {
    get(origin) {
      let destination = destinations.get(origin);
      if (!destination) {
        const breaker = createCircuitBreaker({
          ...settings.breaker,
          now,
          onChange: (state, previous) => {
            hooks.onCircuitChange?.(origin, state, previous);
            // Waiters re-check: an opened circuit sheds them, a closed one lets them go.
            destinations.get(origin)?.wake();
          },
        });
        destination = createDestination({
          origin,
          breaker,
          concurrency: settings.concurrency,
          queueLimit: settings.queueLimit,
          shortPauseMs: settings.shortPauseMs,
          stallMs: settings.stallMs,
          busyRetryMs: settings.busyRetryMs,
          now,
        });
        destinations.set(origin, destination);
      }
      return destination;
    },
    openCircuits() {
      let open = 0;
      for (const d of destinations.values()) if (d.breaker.state() !== 'closed') open += 1;
      return open;
    },
    get size() {
      return destinations.size;
    },
    sweep() {
      const t = now();
      for (const [origin, d] of destinations) {
        const idle = d.inFlight === 0 && d.queued === 0 && t - d.lastActive > idleMs;
        if (idle && d.breaker.state() === 'closed' && d.pausedUntil <= t)
          destinations.delete(origin);
      }
    },
  };
}
