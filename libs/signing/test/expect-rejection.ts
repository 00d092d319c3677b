import { WebhookVerificationError } from '../src/errors.ts';
import type { VerificationFailureReason } from '../src/errors.ts';

/**
 * Runs `verify`, expects a `WebhookVerificationError` with `reason` (and `header`), and checks that
 * its message leaks none of the `secrets` (secrets, expected signatures).
 */
export function expectRejection(
  verify: () => unknown,
  reason: VerificationFailureReason,
  header?: string,
  secrets: readonly string[] = [],
): WebhookVerificationError {
  let caught: unknown;
  try {
    verify();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(WebhookVerificationError);
  const error = caught as WebhookVerificationError;
  expect(error.reason).toBe(reason);
  if (header !== undefined) expect(error.header).toBe(header);
  for (const secret of secrets) {
    expect(error.message).not.toContain(secret);
    expect(String(error.stack)).not.toContain(secret);
  }
  return error;
}
