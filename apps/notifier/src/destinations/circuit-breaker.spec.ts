import { createCircuitBreaker, type CircuitState } from './circuit-breaker.ts';

function setup(threshold = 3) {
  let t = 1_000_000;
  const changes: [CircuitState, CircuitState][] = [];
  const breaker = createCircuitBreaker({
    failureThreshold: threshold,
    cooldownMs: 1_000,
    maxCooldownMs: 3_000,
    now: () => t,
    onChange: (state, previous) => changes.push([previous, state]),
  });
  return { breaker, changes, advance: (ms: number) => (t += ms) };
}

describe('circuit breaker', () => {
  it('stays closed below the failure threshold', () => {
    const { breaker } = setup(3);
    breaker.failed(false);
    breaker.failed(false);
    expect(breaker.state()).toBe('closed');
    expect(breaker.admit()).toEqual({ kind: 'allow' });
  });

  it('a success in between resets the count of consecutive failures', () => {
    const { breaker } = setup(3);
    breaker.failed(false);
    breaker.failed(false);
    breaker.succeeded(false);
    breaker.failed(false);
    breaker.failed(false);
    expect(breaker.state()).toBe('closed');
  });

  it('opens after the threshold and sheds with the time left', () => {
    const { breaker, advance } = setup(3);
    for (let i = 0; i < 3; i += 1) breaker.failed(false);
    expect(breaker.state()).toBe('open');
    advance(400);
    expect(breaker.admit()).toEqual({ kind: 'reject', retryInMs: 600 });
  });

  it('after the cooldown lets exactly one probe through while the others wait', () => {
    const { breaker, advance } = setup(1);
    breaker.failed(false);
    advance(1_000);
    expect(breaker.state()).toBe('half-open');
    expect(breaker.admit()).toEqual({ kind: 'probe' });
    expect(breaker.admit()).toEqual({ kind: 'wait' });
    expect(breaker.admit()).toEqual({ kind: 'wait' });
  });

  it('a successful probe closes the circuit', () => {
    const { breaker, advance, changes } = setup(1);
    breaker.failed(false);
    advance(1_000);
    breaker.admit();
    breaker.succeeded(true);
    expect(breaker.state()).toBe('closed');
    expect(breaker.admit()).toEqual({ kind: 'allow' });
    expect(changes).toEqual([
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'closed'],
    ]);
  });

  it('a failed probe opens it again for twice as long, capped', () => {
    const { breaker, advance } = setup(1);
    breaker.failed(false);
    advance(1_000);
    breaker.admit();
    breaker.failed(true); // 2 s
    expect(breaker.admit()).toEqual({ kind: 'reject', retryInMs: 2_000 });
    advance(2_000);
    breaker.admit();
    breaker.failed(true); // 4 s, capped at 3 s
    expect(breaker.admit()).toEqual({ kind: 'reject', retryInMs: 3_000 });
    advance(3_000);
    breaker.admit();
    breaker.succeeded(true);
    breaker.failed(false); // back to the first cooldown after closing
    expect(breaker.admit()).toEqual({ kind: 'reject', retryInMs: 1_000 });
  });

  it('a probe released without a verdict (429, refused) lets the next request probe', () => {
    const { breaker, advance } = setup(1);
    breaker.failed(false);
    advance(1_000);
    expect(breaker.admit()).toEqual({ kind: 'probe' });
    breaker.released(true);
    expect(breaker.state()).toBe('half-open');
    expect(breaker.admit()).toEqual({ kind: 'probe' });
  });

  it('failures of stragglers sent before the circuit opened change nothing', () => {
    const { breaker, advance } = setup(1);
    breaker.failed(false);
    advance(500);
    breaker.failed(false);
    expect(breaker.admit()).toEqual({ kind: 'reject', retryInMs: 500 });
  });

  it('refuses impossible settings', () => {
    expect(() =>
      createCircuitBreaker({ failureThreshold: 0, cooldownMs: 1, maxCooldownMs: 1 }),
    ).toThrow(RangeError);
    expect(() =>
      createCircuitBreaker({ failureThreshold: 1, cooldownMs: 10, maxCooldownMs: 5 }),
    ).toThrow(RangeError);
  });
});
