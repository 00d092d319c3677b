import { cloudEventHeaders, CORRELATION_ID, type BatchingProducer } from '@claude-pipeline/kafka';
import {
  contracts,
  encode,
  outcomeOf,
  type Attempt,
  type JobRecord,
  type ResultRecord,
  type StatusRecord,
} from '@claude-pipeline/schemas';
import type { Logger } from '@claude-pipeline/telemetry';
import { CE_SOURCE } from '../defaults.ts';

/**
 * Results on `pipeline.results` and lifecycle records on `pipeline.status` (key: job id).
 * CloudEvents ids are deterministic, so a repeat after a crash is recognisably the same event;
 * the status view keeps the highest (generation, rank), so repeats and reordering never regress
 * a job. Each record carries the caller's trace (the batching producer injects it when queued).
 */
/** `traceparent`/`tracestate` of the job record: kept when no tracer replaces them. */
export type TraceHeaders = Readonly<Record<string, string>>;

export interface JobPublisher {
  processing(job: JobRecord, trace: TraceHeaders, attempts?: readonly Attempt[]): Promise<void>;
  /** The result, then its terminal status record. */
  result(
    job: JobRecord,
    trace: TraceHeaders,
    result: ResultRecord,
    attempt: Attempt,
  ): Promise<void>;
  close(): void;
}

export function createJobPublisher(options: {
  producer: BatchingProducer;
  topics: { results: string; status: string };
  logger: Logger;
  now?: () => number;
}): JobPublisher {
  const now = options.now ?? Date.now;
  let closed = false;

  async function send(
    record: Parameters<BatchingProducer['send']>[0],
    what: string,
    jobId: string,
  ) {
    let backoffMs = 100;
    for (;;) {
      try {
        await options.producer.send(record);
        return;
      } catch (error) {
        if (closed) throw error;
        options.logger.warn(
          { err: error, job_id: jobId, record: what },
          'record not acknowledged, retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }

  const headers = (job: JobRecord, trace: TraceHeaders, id: string, type: string | undefined) => ({
    // The batching producer replaces these with its own span's context when tracing is on.
    ...trace,
    ...cloudEventHeaders({ id, source: CE_SOURCE, type: type ?? '', subject: job.job_id }),
    [CORRELATION_ID]: job.correlation_id,
  });

  function status(
    job: JobRecord,
    trace: TraceHeaders,
    state: StatusRecord['state'],
    attempts: readonly Attempt[],
    result?: ResultRecord,
  ) {
    const value: StatusRecord = {
      schema_version: 1,
      job_id: job.job_id,
      tenant: job.tenant,
      correlation_id: job.correlation_id,
      generation: job.generation,
      state,
      mode: job.mode,
      has_callback: job.callback !== undefined,
      updated_at: new Date(now()).toISOString(),
      attempts: [...attempts],
      ...(result === undefined ? {} : { result: outcomeOf(result) }),
    };
    const last = attempts[attempts.length - 1];
    return send(
      {
        topic: options.topics.status,
        key: job.job_id,
        value: encode(contracts.statusRecord, value),
        headers: headers(
          job,
          trace,
          `${job.job_id}.${job.generation}.${state}.${last?.number ?? 0}.${last?.outcome ?? ''}`,
          contracts.statusRecord.ceType,
        ),
      },
      `status ${state}`,
      job.job_id,
    );
  }

  return {
    processing: (job, trace, attempts = []) => status(job, trace, 'processing', attempts),
    async result(job, trace, result, attempt) {
      await send(
        {
          topic: options.topics.results,
          key: job.job_id,
          value: encode(contracts.resultRecord, result),
          headers: headers(
            job,
            trace,
            `${job.job_id}.${job.generation}.${result.status}`,
            contracts.resultRecord.ceType,
          ),
        },
        'result',
        job.job_id,
      );
      await status(job, trace, result.status, [attempt], result);
    },
    close() {
      closed = true;
    },
  };
}
