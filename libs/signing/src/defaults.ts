/**
 * How far a signed timestamp may be from our clock, either way: 300 seconds (5 minutes). It is
 * the Standard Webhooks reference value and Stripe's default; long enough for clock skew and a
 * slow retry, short enough that a captured request cannot be replayed for long.
 */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** Standard Webhooks header names (lower case, as Node presents incoming headers). */
export const STANDARD_WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** GitHub: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256';

/** Stripe: `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`. */
export const STRIPE_SIGNATURE_HEADER = 'stripe-signature';

/** Prefix of a Standard Webhooks secret; the rest is base64 of the key bytes. */
export const STANDARD_WEBHOOK_SECRET_PREFIX = 'whsec_';

/** Key size of a generated Standard Webhooks secret: 32 bytes (the spec asks for 24 to 64). */
export const GENERATED_SECRET_BYTES = 32;
