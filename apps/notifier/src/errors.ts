/**
 * Every error the notifier throws on purpose. One root class carries `retriable` and `cause`
 * (as in kafkajs and libs/kafka), so callers branch on a predicate, not on message text.
 * Messages never contain a secret or a full callback URL (only its origin).
 */
export class NotifierError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration that cannot work; the message names the variable. Never retriable. */
export class NotifierConfigError extends NotifierError {}

/** Why an address may not be connected to. */
export type BlockedCategory =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'unspecified'
  | 'metadata'
  | 'reserved';

/**
 * A callback destination refused by the SSRF rules: its host resolved to (or is) an address of a
 * blocked category, or its URL is not allowed (scheme, credentials). Never retriable: the same
 * URL is refused again, so the record goes to the DLQ at once.
 */
export class DestinationRefusedError extends NotifierError {
  /** The offending address, when the refusal is about an address. */
  readonly address: string | undefined;
  readonly category: BlockedCategory | 'url';

  constructor(
    message: string,
    options: { address?: string; category: BlockedCategory | 'url'; cause?: unknown },
  ) {
    super(message, { retriable: false, cause: options.cause });
    this.address = options.address;
    this.category = options.category;
  }
}

export const isNotifierConfigError = (error: unknown): error is NotifierConfigError =>
  error instanceof NotifierConfigError;

export const isDestinationRefusedError = (error: unknown): error is DestinationRefusedError =>
  error instanceof DestinationRefusedError;
