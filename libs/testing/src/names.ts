import { randomBytes } from 'node:crypto';

/**
 * A name no other test (or earlier run) uses: every integration test gets its own topics and
 * consumer groups, so tests can run in parallel against one broker and never see stale data.
 */
export function uniqueName(prefix = 'test'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
