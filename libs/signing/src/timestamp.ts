import { WebhookVerificationError } from './errors.ts';

// Digits only (no sign, no fraction, no spaces); 15 digits keep the value a safe integer.
const UNIX_SECONDS = /^[0-9]{1,15}$/;

/** Unix seconds from a header value; anything but plain digits is `malformed_header`. */
export function parseUnixSeconds(value: string, header: string): number {
  if (!UNIX_SECONDS.test(value)) throw new WebhookVerificationError('malformed_header', header);
  return Number(value);
}

/** Rejects a signed time more than `toleranceSeconds` before or after `nowMs` (bounds included). */
export function checkFreshness(
  timestampSeconds: number,
  nowMs: number,
  toleranceSeconds: number,
  header: string,
): void {
  const ageMs = nowMs - timestampSeconds * 1000;
  const toleranceMs = toleranceSeconds * 1000;
  if (ageMs > toleranceMs) throw new WebhookVerificationError('timestamp_too_old', header);
  if (-ageMs > toleranceMs) throw new WebhookVerificationError('timestamp_too_new', header);
}

/** The unix-seconds timestamp to sign: the caller's, or the clock's current second. */
export function signingTimestamp(given: number | undefined, nowMs: number): number {
  if (given === undefined) return Math.floor(nowMs / 1000);
  if (!Number.isSafeInteger(given) || given < 0) {
    throw new RangeError('timestamp must be a non-negative integer number of unix seconds');
  }
  return given;
}
