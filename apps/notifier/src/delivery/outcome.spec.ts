import type { AttemptResult } from '../http/callback-client.ts';
import { judgeAttempt, parseRetryAfter, snippet } from './outcome.ts';

const ORIGIN = 'https://hooks.example.com';
const NOW = Date.parse('2025-01-15T10:00:00.000Z');
const RETRY_AFTER = { defaultMs: 30_000, maxMs: 3_600_000 };

const response = (
  status: number,
  headers: Record<string, string> = {},
  body = '',
): AttemptResult => ({
  kind: 'response',
  status,
  headers,
  bodySnippet: body,
  durationMs: 12,
});

const judge = (result: AttemptResult) => judgeAttempt(result, ORIGIN, NOW, RETRY_AFTER);

describe('judgeAttempt', () => {
  it.each([200, 201, 202, 204, 299])('%i is delivered and closes the circuit', (status) => {
    const o = judge(response(status));
    expect(o.verdict).toEqual({ kind: 'delivered' });
    expect(o.circuit).toBe('success');
    expect(o.errorClass).toBeUndefined();
    expect(o.metricOutcome).toBe('2xx');
  });

  it('410 is gone: stop delivering to that URL', () => {
    expect(judge(response(410)).verdict).toEqual({ kind: 'gone' });
  });

  it('429 pauses the destination for Retry-After, neither failure nor success for the circuit', () => {
    const o = judge(response(429, { 'retry-after': '7' }));
    expect(o.verdict).toEqual({ kind: 'throttled', retryAfterMs: 7_000 });
    expect(o.circuit).toBe('neutral');
    expect(o.errorClass).toBe('throttled');
  });

  it.each([408, 500, 502, 503, 504, 599])(
    '%i is retried and counts against the circuit',
    (status) => {
      const o = judge(response(status));
      expect(o.verdict).toEqual({ kind: 'retry' });
      expect(o.circuit).toBe('failure');
      expect(o.errorClass).toBe('transient');
      expect(o.httpStatus).toBe(status);
    },
  );

  it.each([400, 401, 403, 404, 405, 413, 422])('%i is dead-lettered at once', (status) => {
    const o = judge(response(status));
    expect(o.verdict).toEqual({ kind: 'reject' });
    expect(o.errorClass).toBe('invalid');
  });

  it('a redirect is not followed: retried, with a note', () => {
    const o = judge(response(301, { location: 'https://elsewhere.example/' }));
    expect(o.verdict).toEqual({ kind: 'retry' });
    expect(o.message).toMatch(/redirects are not followed/);
    expect(o.metricOutcome).toBe('3xx');
  });

  it('timeouts and connection errors are retried', () => {
    expect(judge({ kind: 'timeout', durationMs: 10_000 })).toMatchObject({
      verdict: { kind: 'retry' },
      circuit: 'failure',
      metricOutcome: 'timeout',
      message: `no answer from ${ORIGIN} (timeout after 10000 ms)`,
    });
    expect(
      judge({ kind: 'error', code: 'ECONNREFUSED', message: 'Error ECONNREFUSED', durationMs: 1 }),
    ).toMatchObject({
      verdict: { kind: 'retry' },
      metricOutcome: 'error',
    });
  });

  it('an SSRF refusal is dead-lettered and says nothing about the circuit', () => {
    const o = judge({
      kind: 'refused',
      message: 'refused: x resolves to 10.0.0.1',
      category: 'private',
      durationMs: 0,
    });
    expect(o).toMatchObject({
      verdict: { kind: 'reject' },
      circuit: 'neutral',
      metricOutcome: 'blocked',
    });
  });

  it('quotes a bounded, single-line, redacted piece of the answer', () => {
    const o = judge(response(500, {}, `oops\nline two Bearer abc.def.ghi ${'x'.repeat(500)}`));
    expect(o.message.startsWith(`HTTP 500 from ${ORIGIN} after 12 ms: oops line two`)).toBe(true);
    expect(o.message).not.toContain('abc.def.ghi');
    expect(o.message.length).toBeLessThan(300);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => expect(parseRetryAfter('120', NOW, RETRY_AFTER)).toBe(120_000));
  it('reads an HTTP date', () =>
    expect(parseRetryAfter('Wed, 15 Jan 2025 10:01:00 GMT', NOW, RETRY_AFTER)).toBe(60_000));
  it('uses the default when absent or unreadable', () => {
    expect(parseRetryAfter(undefined, NOW, RETRY_AFTER)).toBe(30_000);
    expect(parseRetryAfter('soon', NOW, RETRY_AFTER)).toBe(30_000);
  });
  it('caps a long wait and floors a past date at 0', () => {
    expect(parseRetryAfter('999999', NOW, RETRY_AFTER)).toBe(3_600_000);
    expect(parseRetryAfter('Wed, 15 Jan 2025 09:00:00 GMT', NOW, RETRY_AFTER)).toBe(0);
  });
});

describe('snippet', () => {
  it('strips control characters', () => expect(snippet('a\r\nb\u0000c')).toBe('a b c'));
});
