import { createHash } from 'node:crypto';
import { rfc3339, type SimClock } from '../clock.ts';
import type { BatchSettings, GenerationSettings } from '../config.ts';
import type { ApiError } from '../errors.ts';
import type { FaultInjector } from '../faults/fault-injector.ts';
import { faultError } from '../faults/http-faults.ts';
import { newId, newRequestId, stableId } from '../ids.ts';
import type { MessagesRequest } from '../messages/messages-request.ts';
import { layoutPrompt } from '../messages/prompt-blocks.ts';
import type { CacheUsage, PromptCache } from '../messages/prompt-cache.ts';
import { planReply } from '../messages/reply.planner.ts';
import type {
  ErrorResponse,
  MessageBatch,
  MessageBatchIndividualResponse,
  MessageBatchRequestCounts,
} from '../wire.types.ts';

/**
 * Message Batches in memory, timed by the sim's clock. A batch is `in_progress` until its
 * processing time has passed (then `ended`), or `canceling` from a cancel until the cancel delay
 * has passed. Requests finish evenly spread over the processing time; those not finished when the
 * batch ends are `canceled` (after a cancel) or `expired` (at `expires_at`, 24 hours after
 * creation). Outcomes are decided once, when the batch ends; result messages are generated
 * (deterministically) when the results are read.
 */
export interface BatchEntry {
  customId: string;
  /** The validated params, or undefined when they were invalid. */
  request: MessagesRequest | undefined;
  /** Why the params were invalid (the request's result is `errored` with it). */
  error: ApiError | undefined;
  /** For fault rules: what the params name, valid or not. */
  model: string | undefined;
  firstUserText: string;
}

type ErrorObject = ErrorResponse['error'];

type Outcome =
  | { type: 'succeeded'; cache: CacheUsage }
  | { type: 'errored'; error: ApiError; requestId: string }
  | { type: 'canceled' }
  | { type: 'expired' };

export interface BatchRecord {
  readonly id: string;
  readonly seq: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly processingEndsAt: number;
  cancelInitiatedAt: number | undefined;
  endedAt: number | undefined;
  readonly entries: readonly BatchEntry[];
  outcomes: Outcome[] | undefined;
  counts: MessageBatchRequestCounts;
}

export interface BatchStore {
  create(entries: readonly BatchEntry[]): BatchRecord;
  /** The batch, brought up to date with the clock; undefined if unknown or deleted. */
  get(id: string): BatchRecord | undefined;
  /** Every batch, newest first, up to date. */
  list(): BatchRecord[];
  /** Starts canceling an `in_progress` batch; returns false when it had already ended. */
  cancel(record: BatchRecord): boolean;
  delete(record: BatchRecord): void;
  view(record: BatchRecord, baseUrl: string): MessageBatch;
  /** The results, one object per request, generated lazily. */
  results(record: BatchRecord): Iterable<MessageBatchIndividualResponse>;
  /** Batches not yet ended. */
  running(): number;
  /** Ends every batch that is due and re-arms the timer (after the clock moved). */
  tick(): void;
  reset(): void;
  close(): void;
}

export interface BatchStoreOptions {
  clock: SimClock;
  settings: BatchSettings;
  faults: FaultInjector;
  cache: PromptCache;
  generation: () => GenerationSettings;
  onEnded: (record: BatchRecord) => void;
}

/** `expires_at` is this long after creation, milliseconds (24 hours). */
const EXPIRY_MS = 24 * 60 * 60_000;
/** Longest timer Node accepts, milliseconds. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const emptyCounts = (processing: number): MessageBatchRequestCounts => ({
  processing,
  succeeded: 0,
  errored: 0,
  canceled: 0,
  expired: 0,
});

export function createBatchStore(options: BatchStoreOptions): BatchStore {
  const { clock, settings } = options;
  let batches = new Map<string, BatchRecord>();
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;

  const endTimeOf = (record: BatchRecord): number =>
    record.cancelInitiatedAt !== undefined
      ? Math.min(record.cancelInitiatedAt + settings.cancelMs, record.processingEndsAt)
      : Math.min(record.processingEndsAt, record.expiresAt);

  function outcomeOf(
    record: BatchRecord,
    entry: BatchEntry,
    doneAt: number,
    endedAt: number,
  ): Outcome {
    if (doneAt > endedAt) {
      return record.cancelInitiatedAt !== undefined ? { type: 'canceled' } : { type: 'expired' };
    }
    const fault = options.faults.decide({
      endpoint: 'batch_request',
      customId: entry.customId,
      model: entry.model,
      firstUserText: entry.firstUserText,
    });
    if (fault?.type === 'expire') return { type: 'expired' };
    if (fault?.type === 'error')
      return { type: 'errored', error: faultError(fault), requestId: newRequestId() };
    if (entry.request === undefined || entry.error !== undefined) {
      return {
        type: 'errored',
        error: entry.error ?? faultError({ type: 'error', status: 500 }),
        requestId: newRequestId(),
      };
    }
    const layout = layoutPrompt(entry.request, options.generation().charsPerToken);
    const plan = options.cache.plan(entry.request.model.id, layout);
    plan.commit();
    return { type: 'succeeded', cache: plan.usage };
  }

  function finalize(record: BatchRecord, endedAt: number): void {
    const n = record.entries.length;
    const processingMs = record.processingEndsAt - record.createdAt;
    const counts = emptyCounts(0);
    record.outcomes = record.entries.map((entry, i) => {
      const doneAt = record.createdAt + (processingMs * (i + 1)) / n;
      const outcome = outcomeOf(record, entry, doneAt, endedAt);
      counts[outcome.type]++;
      return outcome;
    });
    record.counts = counts;
    record.endedAt = endedAt;
    options.onEnded(record);
  }

  function advance(record: BatchRecord): void {
    if (record.endedAt !== undefined) return;
    const endAt = endTimeOf(record);
    if (clock.now() >= endAt) finalize(record, endAt);
  }

  function scheduleNext(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    let next = Infinity;
    for (const record of batches.values()) {
      if (record.endedAt === undefined) next = Math.min(next, endTimeOf(record));
    }
    if (next === Infinity) return;
    const waitMs = Math.min(MAX_TIMER_MS, Math.max(0, next - clock.now()));
    timer = setTimeout(tick, waitMs);
    timer.unref();
  }

  function tick(): void {
    for (const record of batches.values()) advance(record);
    scheduleNext();
  }

  function* results(record: BatchRecord): Iterable<MessageBatchIndividualResponse> {
    const outcomes = record.outcomes ?? [];
    for (const [i, entry] of record.entries.entries()) {
      const outcome = outcomes[i];
      if (outcome === undefined) continue;
      switch (outcome.type) {
        case 'succeeded': {
          if (entry.request === undefined) continue;
          const digest = createHash('sha256')
            .update(`${record.id}\u0000${entry.customId}`)
            .digest();
          const { message } = planReply(entry.request, {
            generation: options.generation(),
            cache: outcome.cache,
            messageId: stableId('msg', digest),
            serviceTier: 'batch',
          });
          yield { custom_id: entry.customId, result: { type: 'succeeded', message } };
          break;
        }
        case 'errored':
          yield {
            custom_id: entry.customId,
            result: {
              type: 'errored',
              error: {
                type: 'error',
                // The SDK's union lacks `request_too_large`, which the sim only uses for HTTP 413s.
                error: { type: outcome.error.type, message: outcome.error.message } as ErrorObject,
                request_id: outcome.requestId,
              },
            },
          };
          break;
        case 'canceled':
        case 'expired':
          yield { custom_id: entry.customId, result: { type: outcome.type } };
          break;
      }
    }
  }

  return {
    create(entries) {
      const now = clock.now();
      const record: BatchRecord = {
        id: newId('msgbatch'),
        seq: seq++,
        createdAt: now,
        expiresAt: now + EXPIRY_MS,
        processingEndsAt: now + settings.processingMs,
        cancelInitiatedAt: undefined,
        endedAt: undefined,
        entries,
        outcomes: undefined,
        counts: emptyCounts(entries.length),
      };
      batches.set(record.id, record);
      advance(record);
      scheduleNext();
      return record;
    },
    get(id) {
      const record = batches.get(id);
      if (record !== undefined) advance(record);
      return record;
    },
    list() {
      const all = [...batches.values()];
      for (const record of all) advance(record);
      return all.sort((a, b) => b.seq - a.seq);
    },
    cancel(record) {
      advance(record);
      if (record.endedAt !== undefined) return false;
      if (record.cancelInitiatedAt === undefined) {
        record.cancelInitiatedAt = clock.now();
        advance(record);
        scheduleNext();
      }
      return true;
    },
    delete(record) {
      batches.delete(record.id);
    },
    view(record, baseUrl) {
      const ended = record.endedAt !== undefined;
      return {
        id: record.id,
        type: 'message_batch',
        processing_status: ended
          ? 'ended'
          : record.cancelInitiatedAt !== undefined
            ? 'canceling'
            : 'in_progress',
        request_counts: { ...record.counts },
        ended_at: record.endedAt === undefined ? null : rfc3339(record.endedAt),
        created_at: rfc3339(record.createdAt),
        expires_at: rfc3339(record.expiresAt),
        cancel_initiated_at:
          record.cancelInitiatedAt === undefined ? null : rfc3339(record.cancelInitiatedAt),
        archived_at: null,
        results_url: ended ? `${baseUrl}/v1/messages/batches/${record.id}/results` : null,
      };
    },
    results,
    running: () => [...batches.values()].filter((r) => r.endedAt === undefined).length,
    tick,
    reset() {
      batches = new Map();
      scheduleNext();
    },
    close() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
