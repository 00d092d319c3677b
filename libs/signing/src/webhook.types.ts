/** Milliseconds since the epoch, like `Date.now`. Injected so tests control time. */
export type Clock = () => number;

export type WebhookScheme = 'standard-webhooks' | 'github' | 'stripe' | 'hmac';

/**
 * Incoming headers as Node and fastify present them. Names are matched case-insensitively; an
 * array value means the header came more than once.
 */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * A signing secret. Standard Webhooks: `whsec_<base64>` (or bare base64) or the raw key bytes.
 * Other schemes: the secret string is the key (its UTF-8 bytes), or the raw key bytes.
 */
export type SecretInput = string | Uint8Array;

/** What a successful verification proves. */
export interface VerifiedWebhook {
  scheme: WebhookScheme;
  /** The signed message id, where the scheme signs one (Standard Webhooks). */
  id?: string;
  /** The signed send time in unix seconds, where the scheme signs one. */
  timestamp?: number;
  /**
   * Index in `secrets` of the secret that matched: once no request matches an old secret any
   * more, a rotation can drop it.
   */
  secretIndex: number;
}

export interface WebhookVerifier {
  readonly scheme: WebhookScheme;
  /**
   * Checks the signature over the exact bytes received (never a re-serialised body). Returns what
   * was proven, or throws `WebhookVerificationError` with a `reason`.
   */
  verify(rawBody: Uint8Array, headers: WebhookHeaders): VerifiedWebhook;
}

export interface SignOptions {
  /** Message id (required by Standard Webhooks, ignored elsewhere). Visible ASCII, no spaces. */
  id?: string;
  /** Unix seconds to sign; defaults to the config's clock. Ignored by schemes without one. */
  timestamp?: number;
}

export interface WebhookSigner {
  readonly scheme: WebhookScheme;
  /**
   * Signs `body` (a string is signed as its UTF-8 bytes: send exactly those bytes) and returns
   * the headers to send, with lower-case names.
   */
  sign(body: Uint8Array | string, options?: SignOptions): Record<string, string>;
}
