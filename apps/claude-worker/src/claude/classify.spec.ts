import { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { ClassifiedError } from '@claude-pipeline/kafka';
import { classifyClaudeError, classForStatus, retryAfterMs } from './classify.ts';

const apiError = (status: number, type: string, headers: Record<string, string> = {}) =>
  APIError.generate(
    status,
    { type: 'error', error: { type, message: `${type} happened` } },
    `${type} happened`,
    new Headers(headers),
  );

describe('error classification', () => {
  it.each([
    [400, 'invalid'],
    [404, 'invalid'],
    [413, 'invalid'],
    [422, 'invalid'],
    [401, 'account'],
    [403, 'account'],
    [408, 'transient'],
    [409, 'transient'],
    [500, 'transient'],
    [503, 'transient'],
    [529, 'transient'],
    [429, 'throttled'],
  ])('status %i is %s', (status, expected) => {
    expect(classForStatus(status)).toBe(expected);
    expect(classifyClaudeError(apiError(status, 'some_error')).errorClass).toBe(expected);
  });

  it('keeps the API error type and status for results', () => {
    expect(classifyClaudeError(apiError(529, 'overloaded_error'))).toMatchObject({
      errorClass: 'transient',
      code: 'overloaded_error',
      status: 529,
    });
  });

  it('reads the wait of a 429 from retry-after-ms, retry-after seconds or an HTTP date', () => {
    expect(
      classifyClaudeError(apiError(429, 'rate_limit_error', { 'retry-after': '7' })),
    ).toMatchObject({
      errorClass: 'throttled',
      retryAfterMs: 7000,
    });
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now)).toBe(
      3000,
    );
    expect(retryAfterMs(new Headers({}))).toBeUndefined();
    // A 429 without a usable wait still pauses, for the default.
    expect(classifyClaudeError(apiError(429, 'rate_limit_error')).retryAfterMs).toBeGreaterThan(0);
  });

  it('treats connection errors, timeouts and broken streams as transient', () => {
    expect(classifyClaudeError(new APIConnectionError({ message: 'refused' })).errorClass).toBe(
      'transient',
    );
    expect(classifyClaudeError(new APIConnectionTimeoutError()).errorClass).toBe('transient');
    expect(classifyClaudeError(new TypeError('terminated'), { duringStream: true })).toMatchObject({
      errorClass: 'transient',
      message: 'stream broken: terminated',
    });
    expect(classifyClaudeError(new TypeError('fetch failed')).errorClass).toBe('transient');
  });

  it('dead-letters programming errors instead of retrying them for hours', () => {
    expect(classifyClaudeError(new ReferenceError('x is not defined')).errorClass).toBe('invalid');
  });

  it('passes through an error that already says its class', () => {
    expect(classifyClaudeError(new ClassifiedError('account', 'halted')).errorClass).toBe(
      'account',
    );
  });
});
