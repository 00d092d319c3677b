import type {
  Message,
  MessageBatchResult as BatchResult,
} from '@anthropic-ai/sdk/resources/messages';
import type { JobError } from '@claude-pipeline/schemas';

/** API error types that no retry can fix: the request itself is wrong. */
const INVALID_ERROR_TYPES: ReadonlySet<string> = new Set([
  'invalid_request_error',
  'not_found_error',
  'request_too_large',
]);

/** What to do with one line of a batch's results. */
export type OutcomeAction =
  | { kind: 'succeeded'; message: Message }
  /** A `failed` result, nothing else (canceled). */
  | { kind: 'failed'; error: JobError }
  /** DLQ record + a `failed` result. */
  | { kind: 'dlq'; error: JobError }
  /** Packed again into a later batch. */
  | { kind: 'repack'; error: JobError };

export interface OutcomeContext {
  /** Batch attempts of the job so far, this one included (1-based). */
  attempt: number;
  maxAttempts: number;
  /**
   * The batch ran past its expires_at and was canceled by us: its unfinished requests are
   * handled as expired, not as canceled.
   */
  pastExpiry?: boolean;
}

/** Maps a result line to an action (ARCHITECTURE.md, "Error classes"). */
export function outcomeOf(result: BatchResult, ctx: OutcomeContext): OutcomeAction {
  switch (result.type) {
    case 'succeeded':
      return { kind: 'succeeded', message: result.message };
    case 'canceled':
      if (ctx.pastExpiry) return retryOrDlq(expiredError(), ctx);
      return {
        kind: 'failed',
        error: {
          class: 'transient',
          code: 'canceled',
          message: 'the batch was canceled before this request was processed',
          retriable: true,
        },
      };
    case 'expired':
      return retryOrDlq(expiredError(), ctx);
    case 'errored': {
      const type = result.error.error.type;
      const message = result.error.error.message.slice(0, 4096);
      if (INVALID_ERROR_TYPES.has(type)) {
        return { kind: 'dlq', error: { class: 'invalid', code: type, message, retriable: false } };
      }
      return retryOrDlq({ class: 'transient', code: type, message, retriable: true }, ctx);
    }
  }
}

function expiredError(): JobError {
  return {
    class: 'transient',
    code: 'expired',
    message: 'the batch expired before this request was processed',
    retriable: true,
  };
}

function retryOrDlq(error: JobError, ctx: OutcomeContext): OutcomeAction {
  if (ctx.attempt < ctx.maxAttempts) return { kind: 'repack', error };
  return {
    kind: 'dlq',
    error: { ...error, message: `${error.message} (after ${ctx.attempt} batch attempts)` },
  };
}
