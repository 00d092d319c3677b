import type { AttemptOutcome } from './outcome.ts';
import { createGoneList, createHandoffLedger } from './handoff-ledger.ts';

const delivered: AttemptOutcome = {
  verdict: { kind: 'delivered' },
  circuit: 'success',
  errorClass: undefined,
  message: 'HTTP 200',
  httpStatus: 200,
  durationMs: 5,
  metricOutcome: '2xx',
};

describe('hand-off ledger', () => {
  it('remembers a finished attempt for its TTL only if asked to keep it', () => {
    let t = 0;
    const ledger = createHandoffLedger({ ttlMs: 1_000, now: () => t });
    const kept = ledger.track('a.1', 1, Promise.resolve(delivered), 10_000);
    const dropped = ledger.track('b.1', 1, Promise.resolve(delivered), 10_000);
    expect(ledger.running()).toHaveLength(2);
    ledger.settle(kept, delivered, true);
    ledger.settle(dropped, delivered, false);
    expect(ledger.get('a.1')?.outcome).toBe(delivered);
    expect(ledger.get('b.1')).toBeUndefined();
    t = 1_000;
    expect(ledger.get('a.1')).toBeUndefined();
  });

  it('forgets the oldest entries beyond its size', () => {
    const ledger = createHandoffLedger({ ttlMs: 1_000, maxEntries: 2 });
    for (const id of ['a', 'b', 'c']) ledger.track(id, 1, new Promise(() => undefined), 0);
    expect(ledger.get('a')).toBeUndefined();
    expect(ledger.size).toBe(2);
  });
});

describe('gone list', () => {
  it('stops a URL for its TTL', () => {
    let t = 5;
    const gone = createGoneList({ ttlMs: 100, now: () => t });
    gone.add('https://x.example/cb');
    expect(gone.since('https://x.example/cb')).toBe(5);
    expect(gone.since('https://x.example/other')).toBeUndefined();
    t = 105;
    expect(gone.since('https://x.example/cb')).toBeUndefined();
  });
});
