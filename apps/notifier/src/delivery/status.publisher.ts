import {
  cloudEventHeaders,
  CORRELATION_ID,
  headerString,
  TRACEPARENT,
  TRACESTATE,
  type BatchingProducer,
} from '@claude-pipeline/kafka';
import {
  attemptSchema,
  contracts,
  encode,
  generationSchema,
  MAX_STATUS_ATTEMPTS,
  outcomeOf,
  type Attempt,
  type JobMode,
  type ResultOutcome,
  type ResultRecord,
  type StatusRecord,
} from '@claude-pipeline/schemas';
import type { Logger } from '@claude-pipeline/telemetry';
import type { IHeaders } from 'kafkajs';
import { CE_SOURCE } from '../defaults.ts';

/**
 * Status records for `pipeline.status` (key: job id): `delivering` while attempts go on, then
 * `delivered` or `undeliverable`, each with the attempts it reports. The status view merges
 * attempts across records and keeps the highest (generation, rank of state), so repeating a
 * record after a crash, or records arriving out of order, never regress a job.
 */
export type DeliveryState = 'delivering' | 'delivered' | 'undeliverable';

export interface StatusUpdate {
  result: ResultRecord;
  /** The job's generation for the status view (a notifier DLQ redrive raises it). */
  generation: number;
  mode: JobMode;
  state: DeliveryState;
  attempts: readonly Attempt[];
  /** Headers of the consumed record: correlation and trace context are carried over. */
  recordHeaders: IHeaders;
}

export interface StatusPublisher {
  /** Resolves once the broker has the record; retries while Kafka is away (not once closed). */
  publish(update: StatusUpdate): Promise<void>;
  close(): void;
}

export function createStatusPublisher(options: {
  producer: BatchingProducer;
  topic: string;
  logger: Logger;
  now?: () => number;
}): StatusPublisher {
  const now = options.now ?? Date.now;
  let closed = false;
  // A job's outcome (parsed out of its result) is the same in each of its status records.
  const outcomes = new WeakMap<ResultRecord, ResultOutcome>();
  const outcome = (result: ResultRecord) => {
    let o = outcomes.get(result);
    if (!o) {
      o = outcomeOf(result);
      outcomes.set(result, o);
    }
    return o;
  };

  function record(update: StatusUpdate) {
    const { result } = update;
    const value: StatusRecord = {
      schema_version: 1,
      job_id: result.job_id,
      tenant: result.tenant,
      correlation_id: result.correlation_id,
      generation: update.generation,
      state: update.state,
      mode: update.mode,
      has_callback: true,
      updated_at: new Date(now()).toISOString(),
      attempts: [...update.attempts],
      result: outcome(result),
    };
    const last = update.attempts[update.attempts.length - 1];
    const traceparent = headerString(update.recordHeaders, TRACEPARENT);
    const tracestate = headerString(update.recordHeaders, TRACESTATE);
    return {
      topic: options.topic,
      key: result.job_id,
      value: encodeStatus(value),
      headers: {
        ...cloudEventHeaders({
          // Deterministic: a repeat after a crash is recognisably the same event.
          id: `${result.job_id}.${update.generation}.${update.state}.${last?.number ?? 0}`,
          source: CE_SOURCE,
          type: contracts.statusRecord.ceType ?? 'claude-pipeline.job.status.v1',
          subject: result.job_id,
        }),
        [CORRELATION_ID]: result.correlation_id,
        // The batching producer replaces these with its own span's context when tracing is on.
        ...(traceparent === undefined ? {} : { [TRACEPARENT]: traceparent }),
        ...(tracestate === undefined ? {} : { [TRACESTATE]: tracestate }),
      },
    };
  }

  return {
    async publish(update) {
      const outgoing = record(update);
      let backoffMs = 100;
      for (;;) {
        try {
          await options.producer.send(outgoing);
          return;
        } catch (error) {
          if (closed) throw error;
          options.logger.warn(
            { err: error, job_id: update.result.job_id, state: update.state },
            'status record not acknowledged, retrying',
          );
          await new Promise((resolve) => setTimeout(resolve, backoffMs));
          backoffMs = Math.min(backoffMs * 2, 5_000);
        }
      }
    },
    close() {
      closed = true;
    },
  };
}

const attemptsSchema = attemptSchema.array().max(MAX_STATUS_ATTEMPTS);

/**
 * A status record as JSON, checking only what this service made up. Job id, tenant, correlation
 * id and outcome come from the consumed result, which was validated when it was decoded; state,
 * mode, version and time are this module's own. The attempts (built from HTTP answers) and the
 * generation (a redrive header may raise it) are checked with the contract's schemas; if either
 * fails, the full contract parse runs and throws with the field named. The full parse of every
 * status record (two per delivery) was about 7 % of the notifier's CPU in the benchmark profile.
 */
export function encodeStatus(value: StatusRecord): string {
  const fine =
    generationSchema.safeParse(value.generation).success &&
    (value.attempts.length === 0 || attemptsSchema.safeParse(value.attempts).success);
  return fine ? JSON.stringify(value) : encode(contracts.statusRecord, value);
}
