import { DEFAULT_TOLERANCE_SECONDS } from './defaults.ts';
import { SigningConfigError } from './errors.ts';
import type { Clock, SecretInput } from './webhook.types.ts';

interface CommonConfig {
  /**
   * Every secret currently valid. Verification accepts a signature made with any of them; signing
   * uses all of them where the scheme carries several signatures (Standard Webhooks, Stripe) and
   * the first one otherwise. Rotate by listing [new, old], then dropping old.
   */
  secrets: readonly SecretInput[];
  /** Clock in ms since the epoch; defaults to `Date.now`. */
  now?: Clock;
}

export interface StandardWebhooksConfig extends CommonConfig {
  scheme: 'standard-webhooks';
  /** Seconds; defaults to `DEFAULT_TOLERANCE_SECONDS`. */
  toleranceSeconds?: number;
}

export interface GitHubConfig extends CommonConfig {
  scheme: 'github';
}

export interface StripeConfig extends CommonConfig {
  scheme: 'stripe';
  /** Seconds; defaults to `DEFAULT_TOLERANCE_SECONDS`. */
  toleranceSeconds?: number;
}

export type HmacAlgorithm = 'sha256' | 'sha1' | 'sha512';
export type SignatureEncoding = 'hex' | 'base64';

/** The shape many providers share: one HMAC of the body (or of `${timestamp}.${body}`) in a header. */
export interface HmacConfig extends CommonConfig {
  scheme: 'hmac';
  /** Header carrying the signature, e.g. `x-shopify-hmac-sha256`. */
  header: string;
  /** Text before the encoded digest, e.g. `sha256=`; none by default. */
  prefix?: string;
  encoding: SignatureEncoding;
  /** Defaults to `sha256`. */
  algorithm?: HmacAlgorithm;
  /** When set, the header's unix-seconds value is signed as `${timestamp}.${body}` and checked. */
  timestamp?: { header: string; toleranceSeconds?: number };
}

export type SchemeConfig = StandardWebhooksConfig | GitHubConfig | StripeConfig | HmacConfig;

// RFC 9110 token characters: what a header name may consist of.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function headerNameOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || !HEADER_NAME.test(value)) {
    throw new SigningConfigError(`${field} must be an HTTP header name`);
  }
  return value.toLowerCase();
}

export function toleranceOf(value: unknown, field: string): number {
  if (value === undefined) return DEFAULT_TOLERANCE_SECONDS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new SigningConfigError(`${field} must be a non-negative number of seconds`);
  }
  return value;
}

export function clockOf(value: unknown): Clock {
  if (value === undefined) return Date.now;
  if (typeof value !== 'function') throw new SigningConfigError('now must be a function');
  return value as Clock;
}

/** Parses every secret once, at construction; `parse` throws `SigningConfigError` on a bad one. */
export function keysOf(
  secrets: unknown,
  parse: (secret: unknown, index: number) => Buffer,
): readonly Buffer[] {
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new SigningConfigError('secrets must be a non-empty list');
  }
  return secrets.map((secret: unknown, index) => parse(secret, index));
}
