import { createSigner, type WebhookSigner } from '@claude-pipeline/signing';
import type { Logger } from '@claude-pipeline/telemetry';
import { SimConfigError } from '../errors.ts';
import type { MessageBatch } from '../wire.types.ts';

/**
 * OUR EXTENSION, not an Anthropic feature: when a batch ends, POST a notification signed per
 * Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`) to a configured URL,
 * so the batch-poller's "poll this batch now" path can be exercised. The Anthropic API has no
 * such callback; against it the poller only polls.
 *
 * Body: `{"type":"message_batch.ended","timestamp":"<RFC 3339>","data":<the message_batch>}`.
 * `webhook-id` is `<batch id>_ended` on every attempt, so a receiver can drop repeats.
 */
export interface BatchNotifier {
  notify(batch: MessageBatch): void;
  /** Stops pending retries. */
  close(): void;
}

export interface BatchNotifierOptions {
  url: string;
  secret: string;
  logger: Logger;
  /** Waits before the 2nd, 3rd, ... attempt, milliseconds. */
  retryDelaysMs?: readonly number[];
  /** Per attempt, milliseconds. */
  timeoutMs?: number;
}

const DEFAULT_RETRY_DELAYS_MS = [1_000, 5_000, 30_000];
const DEFAULT_TIMEOUT_MS = 10_000;

export function createBatchNotifier(options: BatchNotifierOptions): BatchNotifier {
  let signer: WebhookSigner;
  try {
    signer = createSigner({ scheme: 'standard-webhooks', secrets: [options.secret] });
  } catch (error) {
    throw new SimConfigError(
      `invalid anthropic-sim configuration:\n  SIM_BATCH_WEBHOOK_SECRET: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  async function attempt(batch: MessageBatch, body: string, n: number): Promise<void> {
    const log = options.logger.child({ batch_id: batch.id, attempt: n + 1 });
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'anthropic-sim',
          ...signer.sign(body, { id: `${batch.id}_ended` }),
        },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.ok) {
        log.info({ status: response.status }, 'batch notification delivered');
        return;
      }
      log.warn({ status: response.status }, 'batch notification refused');
    } catch (error) {
      log.warn({ err: error }, 'batch notification failed');
    }
    const delay = delays[n];
    if (delay === undefined || closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void attempt(batch, body, n + 1);
    }, delay);
    timer.unref();
    timers.add(timer);
  }

  return {
    notify(batch) {
      if (closed) return;
      const body = JSON.stringify({
        type: 'message_batch.ended',
        timestamp: new Date().toISOString(),
        data: batch,
      });
      void attempt(batch, body, 0);
    },
    close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
