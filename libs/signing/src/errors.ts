/**
 * Every error this lib throws on purpose. One root class carries `retriable` and `cause` (as in
 * kafkajs), so callers branch on `instanceof` or a predicate instead of parsing messages.
 *
 * Messages are built only from fixed text, header names and numbers: never from a secret, a
 * computed signature or a received signature, so they are safe to log and to return to a caller.
 */
export class SigningError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** A scheme config that cannot work (bad secret, unknown algorithm...). Thrown at construction. */
export class SigningConfigError extends SigningError {}

export type VerificationFailureReason =
  | 'missing_header'
  | 'malformed_header'
  | 'bad_signature'
  | 'timestamp_too_old'
  | 'timestamp_too_new';

const DESCRIPTIONS: Record<VerificationFailureReason, string> = {
  missing_header: 'a required header is missing',
  malformed_header: 'a header is malformed',
  bad_signature: 'no signature matches',
  timestamp_too_old: 'the signed timestamp is older than the tolerance',
  timestamp_too_new: 'the signed timestamp is further in the future than the tolerance',
};

/**
 * The one error a verifier throws for a request it rejects. Never retriable: the same bytes will
 * fail the same way. `header` names the (lower-case) header at fault, where there is one.
 */
export class WebhookVerificationError extends SigningError {
  readonly reason: VerificationFailureReason;
  readonly header: string | undefined;

  constructor(reason: VerificationFailureReason, header?: string) {
    super(
      `webhook verification failed (${reason}): ${DESCRIPTIONS[reason]}` +
        (header === undefined ? '' : ` [${header}]`),
    );
    this.reason = reason;
    this.header = header;
  }
}

export const isWebhookVerificationError = (error: unknown): error is WebhookVerificationError =>
  error instanceof WebhookVerificationError;

export const isSigningConfigError = (error: unknown): error is SigningConfigError =>
  error instanceof SigningConfigError;
