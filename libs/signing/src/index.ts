// Public entry: webhook signing and verification (Standard Webhooks, GitHub, Stripe, generic HMAC).
export { createSigner, createVerifier } from './factory.ts';
export { generateStandardWebhookSecret } from './secrets.ts';
export {
  DEFAULT_TOLERANCE_SECONDS,
  GITHUB_SIGNATURE_HEADER,
  STANDARD_WEBHOOK_HEADERS,
  STANDARD_WEBHOOK_SECRET_PREFIX,
  STRIPE_SIGNATURE_HEADER,
} from './defaults.ts';
export {
  SigningConfigError,
  SigningError,
  WebhookVerificationError,
  isSigningConfigError,
  isWebhookVerificationError,
} from './errors.ts';
export type { VerificationFailureReason } from './errors.ts';
export type {
  GitHubConfig,
  HmacAlgorithm,
  HmacConfig,
  SchemeConfig,
  SignatureEncoding,
  StandardWebhooksConfig,
  StripeConfig,
} from './config.ts';
export type {
  Clock,
  SecretInput,
  SignOptions,
  VerifiedWebhook,
  WebhookHeaders,
  WebhookScheme,
  WebhookSigner,
  WebhookVerifier,
} from './webhook.types.ts';
