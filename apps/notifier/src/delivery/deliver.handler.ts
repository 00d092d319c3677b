import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ClassifiedError,
  GENERATION,
  headerNumber,
  headerString,
  InvalidRecordError,
  RETRY,
  type ConsumedRecord,
  type RoutedEvent,
  type TopicNames,
} from '@claude-pipeline/kafka';
import {
  contracts,
  safeDecode,
  type Attempt,
  type JobMode,
  type ResultRecord,
} from '@claude-pipeline/schemas';
import {
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_PIPELINE_ATTEMPT,
  ATTR_PIPELINE_CORRELATION_ID,
  ATTR_PIPELINE_DELIVERY_HOST,
  ATTR_PIPELINE_GENERATION,
  ATTR_PIPELINE_JOB_ID,
  ATTR_PIPELINE_TENANT,
  ATTR_PIPELINE_WEBHOOK_ID,
  withSpan,
  type Logger,
} from '@claude-pipeline/telemetry';
import { isDestinationRefusedError } from '../errors.ts';
import type { CallbackClient } from '../http/callback-client.ts';
import type { DestinationRegistry } from '../destinations/destination-registry.ts';
import { DestinationUnavailable } from '../destinations/destination.ts';
import type { NotifierMetrics } from '../metrics.ts';
import { checkCallbackUrl, type UrlPolicyOptions } from '../ssrf/url-policy.ts';
import {
  callbackHeaders,
  callbackMessage,
  MissingTenantSecretError,
  type CallbackMessage,
  type TenantSigners,
} from './callback-request.ts';
import type { GoneList, HandoffEntry, HandoffLedger } from './handoff-ledger.ts';
import { judgeAttempt, type AttemptOutcome, type RetryAfterSettings } from './outcome.ts';
import type { StatusPublisher } from './status.publisher.ts';

/**
 * The notifier's record handler (wrapped by the retry chain) and its routing hook.
 *
 * For a result with a callback: check the URL (SSRF rules), take a connection slot of its
 * destination (origin), POST the signed payload, and turn the answer into the chain's language:
 * return = delivered; ClassifiedError `transient` = next retry stage (an attempt spent);
 * `throttled` = park without spending one; `invalid` = DLQ at once.
 *
 * A record never holds its partition slot longer than `handoffMs`: if its endpoint is slow, the
 * record leaves for the next stage while the POST continues in the background (the hand-off
 * ledger remembers how it ended, so the stage replay neither repeats a success nor overlaps a
 * running attempt). Records of a busy, paused or failing destination leave at once. That is
 * what keeps one endpoint from delaying another: the partitions they share keep moving.
 */
export interface DeliveryHandlerOptions {
  names: TopicNames;
  /** Number of retry stages in the policy. */
  stages: number;
  signers: TenantSigners;
  client: CallbackClient;
  destinations: DestinationRegistry;
  urlPolicy: UrlPolicyOptions;
  status: StatusPublisher;
  ledger: HandoffLedger;
  gone: GoneList;
  metrics: NotifierMetrics;
  logger: Logger;
  handoffMs: number;
  /**
   * An attempt unanswered this long (ms, on `clock`) while its destination finished no other
   * request is handed off at once: the endpoint is not answering, and the record would only hold
   * its partition slot for the rest of the hand-off budget. Default: `handoffMs`.
   */
  stallMs?: number;
  timeoutMs: number;
  retryAfter: RetryAfterSettings;
  now?: () => number;
  /**
   * Clock of the waiting budgets: the hand-off deadline, the wait for a destination slot and
   * destination pauses (the destinations must use the same clock). The service passes its
   * loop clock (loop-clock.ts), which does not count time the process itself was stalled.
   * Default: `now`.
   */
  clock?: () => number;
}

export interface DeliveryHandler {
  handle(record: ConsumedRecord): Promise<void>;
  onRouted(event: RoutedEvent): Promise<void>;
}

/**
 * Delivery attempts made for a record so far, as `<generation>:<count>`. Carried by the record
 * itself (the retry chain copies a record's headers when it routes it), so attempt numbers in
 * the status stay unique across stages and a replay after a crash reuses the same number.
 */
export const DELIVERY_ATTEMPTS_HEADER = 'pipeline-notifier-delivery-attempts';

const MAX_ATTEMPT_MESSAGE = 1024;

/** 429 answers one record may get within one run before it is parked in a retry stage. */
const MAX_THROTTLES_IN_PROCESS = 2;

interface Job {
  result: ResultRecord & { callback: { url: string } };
  /** For the status view: the result's generation, raised by a notifier DLQ redrive. */
  generation: number;
  mode: JobMode;
  webhookId: string;
  /** The signed body and its id (built once per record). */
  message: CallbackMessage;
}

/** What a handler run left for the routing hook: its attempts and any hand-off. */
interface RunNotes {
  job: Job;
  attempts: Attempt[];
  handedOff?: HandoffEntry;
}

const tracer = () => trace.getTracer('@claude-pipeline/notifier');

export function createDeliveryHandler(options: DeliveryHandlerOptions): DeliveryHandler {
  const now = options.now ?? Date.now;
  const clock = options.clock ?? now;
  const stallMs = options.stallMs ?? options.handoffMs;
  const { names, metrics, status, ledger, logger } = options;
  const notes = new WeakMap<ConsumedRecord, RunNotes>();
  const iso = (ms: number) => new Date(ms).toISOString();

  function jobOf(record: ConsumedRecord, result: Job['result']): Job {
    const redriven = headerNumber(record.headers, GENERATION) ?? 0;
    // A failed result does not say which tier ran it; the producing service does.
    const source = headerString(record.headers, 'ce_source') ?? '';
    const mode: JobMode =
      result.status === 'succeeded'
        ? result.tier
        : source.includes('batch-poller')
          ? 'batch'
          : 'realtime';
    const message = callbackMessage(result);
    return {
      result,
      generation: Math.max(result.generation, redriven),
      mode,
      webhookId: message.webhookId,
      message,
    };
  }

  function attemptsSoFar(record: ConsumedRecord, generation: number): number {
    const [gen, count] = (headerString(record.headers, DELIVERY_ATTEMPTS_HEADER) ?? '').split(':');
    return Number(gen) === generation && Number.isInteger(Number(count)) ? Number(count) : 0;
  }

  /** Takes the next attempt number and writes it into the record's headers. */
  function nextAttempt(record: ConsumedRecord, generation: number): number {
    const number = attemptsSoFar(record, generation) + 1;
    record.headers[DELIVERY_ATTEMPTS_HEADER] = `${generation}:${number}`;
    return number;
  }

  function attemptEntry(
    number: number,
    at: number,
    outcome: Attempt['outcome'],
    detail: Pick<AttemptOutcome, 'errorClass' | 'message' | 'httpStatus'>,
  ): Attempt {
    return {
      kind: 'delivery',
      number,
      at: iso(at),
      outcome,
      ...(detail.errorClass === undefined
        ? {}
        : {
            error: {
              class: detail.errorClass,
              message: detail.message.slice(0, MAX_ATTEMPT_MESSAGE),
            },
          }),
      ...(detail.httpStatus !== undefined && detail.httpStatus >= 100 && detail.httpStatus <= 599
        ? { http_status: detail.httpStatus }
        : {}),
    };
  }

  const entryOutcome = (o: AttemptOutcome): Attempt['outcome'] =>
    o.verdict.kind === 'delivered'
      ? 'succeeded'
      : o.verdict.kind === 'reject' || o.verdict.kind === 'gone'
        ? 'failed'
        : 'retrying';

  /** A refusal before any byte was sent still counts as an attempt: it is what the status shows. */
  function refuse(record: ConsumedRecord, run: RunNotes, message: string): never {
    const number = nextAttempt(record, run.job.generation);
    run.attempts.push(
      attemptEntry(number, now(), 'failed', {
        errorClass: 'invalid',
        message,
        httpStatus: undefined,
      }),
    );
    throw new ClassifiedError('invalid', message);
  }

  /** One POST: signed now, traced, timed, judged; the slot is released with its effect. */
  function post(
    job: Job,
    url: URL,
    body: string,
    headersOf: () => Record<string, string>,
    number: number,
    release: (effect: AttemptOutcome['circuit']) => void,
  ): Promise<AttemptOutcome> {
    const attributes = {
      [ATTR_PIPELINE_JOB_ID]: job.result.job_id,
      [ATTR_PIPELINE_TENANT]: job.result.tenant,
      [ATTR_PIPELINE_CORRELATION_ID]: job.result.correlation_id,
      [ATTR_PIPELINE_GENERATION]: job.generation,
      [ATTR_PIPELINE_WEBHOOK_ID]: job.webhookId,
      [ATTR_PIPELINE_DELIVERY_HOST]: url.host,
      [ATTR_PIPELINE_ATTEMPT]: number,
    };
    return withSpan(
      tracer(),
      'callback POST',
      { kind: SpanKind.CLIENT, attributes },
      async (span) => {
        let judged: AttemptOutcome | undefined;
        try {
          const result = await options.client.send({ url, body, headers: headersOf() });
          judged = judgeAttempt(result, url.origin, now(), options.retryAfter);
        } finally {
          // Released even if signing or judging threw, so a destination never leaks a slot.
          release(judged?.circuit ?? 'neutral');
        }
        const outcome = judged;
        metrics.deliveries.inc({ outcome: outcome.metricOutcome });
        metrics.deliveryDuration.observe(
          { outcome: outcome.metricOutcome },
          outcome.durationMs / 1000,
        );
        if (outcome.httpStatus !== undefined) {
          span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, outcome.httpStatus);
        }
        if (outcome.verdict.kind !== 'delivered') {
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message });
        }
        return outcome;
      },
    );
  }

  /**
   * Waits for `promise` until `deadline` (on `clock`); `undefined` if the deadline came first.
   * The clock may run slower than timers (it stands still during stalls): re-arm until due.
   * `stalled` (optional) is when to give up earlier, asked again at each check.
   */
  function until<T>(
    promise: Promise<T>,
    deadline: number,
    stalled?: () => number,
  ): Promise<T | undefined> {
    if (!Number.isFinite(deadline - clock())) return promise;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        const check = () => {
          const wait = Math.min(deadline, stalled ? stalled() : Infinity) - clock();
          if (wait <= 0) resolve(undefined);
          else timer = setTimeout(check, wait);
        };
        check();
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** A handed-off POST ended: report it, remember what matters for the record's return. */
  async function settleHandedOff(
    run: RunNotes,
    entry: HandoffEntry,
    url: URL,
    outcome: AttemptOutcome,
    destination: ReturnType<DestinationRegistry['get']>,
    recordHeaders: ConsumedRecord['headers'],
  ): Promise<void> {
    const { job } = run;
    const verdict = outcome.verdict;
    if (verdict.kind === 'throttled') destination.pause(clock() + verdict.retryAfterMs);
    if (verdict.kind === 'gone') options.gone.add(url.href);
    const keep =
      verdict.kind === 'delivered' || verdict.kind === 'reject' || verdict.kind === 'gone';
    ledger.settle(entry, outcome, keep);
    // Routing happens right after the hand-off; wait for it (bounded) to know the next due time.
    const notBefore = await until(entry.routed, clock() + 10_000);
    const attempt = attemptEntry(entry.number, now(), entryOutcome(outcome), outcome);
    if (attempt.error && entryOutcome(outcome) === 'retrying' && notBefore !== undefined) {
      attempt.error.message = withNextAttempt(attempt.error.message, notBefore);
    }
    try {
      await status.publish({
        result: job.result,
        generation: job.generation,
        mode: job.mode,
        state: verdict.kind === 'delivered' ? 'delivered' : 'delivering',
        attempts: [attempt],
        recordHeaders,
      });
    } catch (error) {
      logger.warn({ err: error, job_id: job.result.job_id }, 'status of a handed-off attempt lost');
    }
    logger.debug(
      { job_id: job.result.job_id, origin: url.origin, verdict: verdict.kind },
      'handed-off attempt ended',
    );
  }

  const withNextAttempt = (message: string, notBefore: number) => {
    const suffix = `; next attempt at ${iso(notBefore)}`;
    return `${message.slice(0, MAX_ATTEMPT_MESSAGE - suffix.length)}${suffix}`;
  };

  async function deliver(record: ConsumedRecord, run: RunNotes, deadline: number): Promise<void> {
    const { job } = run;
    const { result } = job;

    const previous = ledger.get(job.webhookId);
    if (previous) {
      if (previous.outcome === undefined) {
        throw new ClassifiedError(
          'throttled',
          `attempt ${previous.number} is still waiting for an answer`,
          { retryAfterMs: Math.max(1, previous.endsBy - now()) },
        );
      }
      if (previous.outcome.verdict.kind === 'delivered') {
        metrics.recordsProcessed.inc({ topic: record.topic, outcome: 'ok' });
        return; // delivered by the handed-off attempt, and reported then
      }
      if (
        previous.outcome.verdict.kind !== 'retry' &&
        previous.outcome.verdict.kind !== 'throttled'
      ) {
        throw new ClassifiedError('invalid', previous.outcome.message);
      }
      ledger.delete(job.webhookId);
    }

    let url: URL;
    try {
      url = checkCallbackUrl(result.callback.url, options.urlPolicy);
    } catch (error) {
      if (isDestinationRefusedError(error)) refuse(record, run, error.message);
      throw error;
    }
    const goneSince = options.gone.since(url.href);
    if (goneSince !== undefined) {
      refuse(
        record,
        run,
        `stopped: this callback URL answered 410 Gone at ${iso(goneSince)}; no more deliveries to it`,
      );
    }
    const signer = options.signers.signerFor(result.tenant);
    if (!signer) refuse(record, run, new MissingTenantSecretError(result.tenant).message);

    const { message } = job;
    const destination = options.destinations.get(url.origin);
    let throttles = 0;
    for (;;) {
      let slot;
      try {
        slot = await destination.acquire({ deadline });
      } catch (error) {
        if (!(error instanceof DestinationUnavailable)) throw error;
        if (error.reason === 'open') {
          // Not sent, but it counts: a dead endpoint's records walk the schedule to the DLQ.
          const number = nextAttempt(record, job.generation);
          run.attempts.push(
            attemptEntry(number, now(), 'retrying', {
              errorClass: 'transient',
              message: `not sent: ${error.message}`,
              httpStatus: undefined,
            }),
          );
          throw new ClassifiedError('transient', `not sent: ${error.message}`, { cause: error });
        }
        throw new ClassifiedError('throttled', error.message, {
          retryAfterMs: Math.max(1, error.retryInMs),
          cause: error,
        });
      }
      const number = nextAttempt(record, job.generation);
      const sentAt = clock();
      const attempt = post(
        job,
        url,
        message.body,
        () => callbackHeaders(message, signer, result, record.headers),
        number,
        (effect) => slot.release(effect),
      );
      // Handed off early if the endpoint finishes nothing at all for a stall period while this
      // attempt waits; each request of it that finishes moves that point on.
      const outcome = await until(
        attempt,
        deadline,
        () => Math.max(sentAt, destination.lastProgress) + stallMs,
      );
      if (outcome === undefined) {
        const entry = ledger.track(job.webhookId, number, attempt, now() + options.timeoutMs);
        run.handedOff = entry;
        void attempt
          .then((o) => settleHandedOff(run, entry, url, o, destination, record.headers))
          .catch((error: unknown) => logger.error({ err: error }, 'handed-off attempt failed'));
        throw new ClassifiedError(
          'transient',
          clock() >= deadline
            ? `no answer from ${url.origin} within ${options.handoffMs} ms; attempt ${number} continues in the background`
            : `no answer from ${url.origin} within ${stallMs} ms, nor to any other request meanwhile; attempt ${number} continues in the background`,
        );
      }
      run.attempts.push(attemptEntry(number, now(), entryOutcome(outcome), outcome));
      switch (outcome.verdict.kind) {
        case 'delivered':
          await status.publish({
            result,
            generation: job.generation,
            mode: job.mode,
            state: 'delivered',
            attempts: run.attempts,
            recordHeaders: record.headers,
          });
          metrics.recordsProcessed.inc({ topic: record.topic, outcome: 'ok' });
          logger.debug(
            {
              job_id: result.job_id,
              correlation_id: result.correlation_id,
              generation: job.generation,
              origin: url.origin,
              attempt: number,
            },
            'callback delivered',
          );
          return;
        case 'throttled':
          // Pause the destination: every record for it waits, none spends an attempt. The next
          // acquire waits out a short pause here, or hands a long one to the chain; after
          // MAX_THROTTLES_IN_PROCESS answers of 429 the record leaves anyway (Retry-After: 0).
          destination.pause(clock() + outcome.verdict.retryAfterMs);
          throttles += 1;
          if (throttles >= MAX_THROTTLES_IN_PROCESS) {
            throw new ClassifiedError('throttled', outcome.message, {
              retryAfterMs: Math.max(1, outcome.verdict.retryAfterMs),
            });
          }
          continue;
        case 'gone':
          options.gone.add(url.href);
          throw new ClassifiedError(
            'invalid',
            `${outcome.message}; delivery to this URL is stopped`,
          );
        case 'reject':
          throw new ClassifiedError('invalid', outcome.message);
        case 'retry':
          throw new ClassifiedError('transient', outcome.message);
      }
    }
  }

  async function handle(record: ConsumedRecord): Promise<void> {
    const started = clock();
    const decoded = safeDecode(contracts.resultRecord, record.value);
    if (!decoded.ok) throw new InvalidRecordError(decoded.error.message, { cause: decoded.error });
    const value = decoded.value;
    if (value.callback === undefined) {
      metrics.recordsProcessed.inc({ topic: record.topic, outcome: 'skipped' });
      return;
    }
    const job = jobOf(record, { ...value, callback: value.callback });
    const run: RunNotes = { job, attempts: [] };
    notes.set(record, run);

    const spent = headerNumber(record.headers, RETRY.attempt) ?? 0;
    // A hand-off spends an attempt, so only while a stage is left; in the last stage the record
    // waits for its answer (the timeout bounds it).
    const deadline = spent + 1 <= options.stages ? started + options.handoffMs : Infinity;
    const first =
      record.topic === names.results && spent === 0 && attemptsSoFar(record, job.generation) === 0;
    const delivering = first
      ? status.publish({
          result: job.result,
          generation: job.generation,
          mode: job.mode,
          state: 'delivering',
          attempts: [],
          recordHeaders: record.headers,
        })
      : undefined;
    try {
      await deliver(record, run, deadline);
    } finally {
      await delivering;
    }
  }

  async function onRouted(event: RoutedEvent): Promise<void> {
    const { record, classification, destination } = event;
    const stage = record.topic === names.results ? 'source' : record.topic;
    if (destination === 'retry') {
      metrics.retryRecords.inc({ stage: event.topic, error_class: classification.errorClass });
    } else {
      metrics.dlqRecords.inc({ topic: event.topic, error_class: classification.errorClass, stage });
    }
    metrics.recordsProcessed.inc({ topic: record.topic, outcome: destination });
    const run = notes.get(record);
    if (!run) return; // not a result (poison): nothing to report on a job
    run.handedOff?.markRouted(event.notBefore);
    if (destination === 'retry') {
      const last = run.attempts[run.attempts.length - 1];
      if (!last) return; // parked without an attempt (busy, paused): nothing new to report
      if (last.error && last.outcome === 'retrying' && event.notBefore !== undefined) {
        last.error.message = withNextAttempt(last.error.message, event.notBefore);
      }
    } else {
      metrics.undeliverable.inc();
      const last = run.attempts[run.attempts.length - 1];
      if (last) last.outcome = 'failed';
      logger.warn(
        {
          job_id: run.job.result.job_id,
          correlation_id: run.job.result.correlation_id,
          error_class: classification.errorClass,
          reason: classification.message,
        },
        'callback undeliverable: dead-lettered',
      );
    }
    await status.publish({
      result: run.job.result,
      generation: run.job.generation,
      mode: run.job.mode,
      state: destination === 'dlq' ? 'undeliverable' : 'delivering',
      attempts: run.attempts,
      recordHeaders: record.headers,
    });
  }

  return { handle, onRouted };
}
