import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { outcomeOf } from './outcome.ts';

const ctx = { attempt: 1, maxAttempts: 3 };
const errored = (type: string) =>
  ({
    type: 'errored',
    error: { type: 'error', error: { type, message: `${type} happened` }, request_id: 'req_1' },
  }) as const;

describe('outcome of a result line', () => {
  it('succeeded carries the message', () => {
    const message = { id: 'msg_1' } as unknown as Message;
    expect(outcomeOf({ type: 'succeeded', message }, ctx)).toEqual({ kind: 'succeeded', message });
  });

  it('an invalid request goes to the DLQ, not retriable', () => {
    for (const type of ['invalid_request_error', 'not_found_error', 'request_too_large']) {
      expect(outcomeOf(errored(type) as never, ctx)).toMatchObject({
        kind: 'dlq',
        error: { class: 'invalid', code: type, retriable: false },
      });
    }
  });

  it('a transient error is packed again while attempts are left, then dead-lettered', () => {
    expect(outcomeOf(errored('overloaded_error') as never, ctx)).toMatchObject({
      kind: 'repack',
      error: { class: 'transient', code: 'overloaded_error' },
    });
    expect(outcomeOf(errored('api_error') as never, { attempt: 3, maxAttempts: 3 })).toMatchObject({
      kind: 'dlq',
      error: { class: 'transient', retriable: true },
    });
  });

  it('expired is packed again, then dead-lettered', () => {
    expect(outcomeOf({ type: 'expired' }, ctx)).toMatchObject({
      kind: 'repack',
      error: { code: 'expired' },
    });
    expect(outcomeOf({ type: 'expired' }, { attempt: 3, maxAttempts: 3 })).toMatchObject({
      kind: 'dlq',
    });
  });

  it('canceled is a failed result, unless we canceled it past its expiry (then: expired)', () => {
    expect(outcomeOf({ type: 'canceled' }, ctx)).toMatchObject({
      kind: 'failed',
      error: { code: 'canceled' },
    });
    expect(outcomeOf({ type: 'canceled' }, { ...ctx, pastExpiry: true })).toMatchObject({
      kind: 'repack',
      error: { code: 'expired' },
    });
  });
});
