import {
  SigningConfigError,
  SigningError,
  WebhookVerificationError,
  isSigningConfigError,
  isWebhookVerificationError,
} from './errors.ts';

describe('errors', () => {
  it('verification errors share the root class and are never retriable', () => {
    const error = new WebhookVerificationError('bad_signature', 'webhook-signature');
    expect(error).toBeInstanceOf(SigningError);
    expect(error.retriable).toBe(false);
    expect(error.name).toBe('WebhookVerificationError');
  });

  it('the message names the reason and the header', () => {
    const error = new WebhookVerificationError('timestamp_too_old', 'webhook-timestamp');
    expect(error.message).toMatch(/timestamp_too_old/);
    expect(error.message).toMatch(/webhook-timestamp/);
  });

  it('header is undefined when none is at fault', () => {
    expect(new WebhookVerificationError('bad_signature').header).toBeUndefined();
  });

  it('predicates tell the two kinds apart', () => {
    const config = new SigningConfigError('bad');
    const verification = new WebhookVerificationError('missing_header', 'x');
    expect(isSigningConfigError(config)).toBe(true);
    expect(isSigningConfigError(verification)).toBe(false);
    expect(isWebhookVerificationError(verification)).toBe(true);
    expect(isWebhookVerificationError(new Error('x'))).toBe(false);
  });

  it('a config error keeps its cause', () => {
    const cause = new Error('root');
    expect(new SigningConfigError('bad', { cause }).cause).toBe(cause);
  });
});
