import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages/messages';
import { cloudEventHeaders, CORRELATION_ID, type BatchingProducer } from '@claude-pipeline/kafka';
import {
  contracts,
  encode,
  type ErrorClass,
  type JobRecord,
  type StopReason,
  type StreamRecord,
  type Usage,
} from '@claude-pipeline/schemas';
import { CE_SOURCE } from '../defaults.ts';

/**
 * Token deltas of a `stream: true` job on `pipeline.stream` (key: job id, so one partition and
 * in order: the batching producer keeps one request in flight). Per (generation, attempt) `seq`
 * counts from 0 without gaps: block starts and deltas, then one `end` or `abort`.
 */
export interface StreamWriter {
  event(event: RawMessageStreamEvent): void;
  end(stopReason: StopReason, usage: Usage, model: string): void;
  abort(error: { class: ErrorClass; message: string }, retrying: boolean): void;
  /** Resolves when every record so far is acked; rejects with the first failure. */
  flush(): Promise<void>;
}

export function createStreamWriter(options: {
  producer: BatchingProducer;
  topic: string;
  job: JobRecord;
  attempt: number;
  /** The job record's `traceparent`/`tracestate` (replaced by the producer's span when traced). */
  trace: Readonly<Record<string, string>>;
}): StreamWriter {
  const { job, attempt } = options;
  let seq = 0;
  const pending: Promise<unknown>[] = [];
  const base = () => ({
    schema_version: 1 as const,
    job_id: job.job_id,
    tenant: job.tenant,
    generation: job.generation,
    attempt,
    seq: seq++,
  });
  const publish = (value: StreamRecord) => {
    const sent = options.producer.send({
      topic: options.topic,
      key: job.job_id,
      value: encode(contracts.streamRecord, value),
      headers: {
        ...options.trace,
        ...cloudEventHeaders({
          id: `${job.job_id}.${job.generation}.${attempt}.${value.seq}`,
          source: CE_SOURCE,
          type: contracts.streamRecord.ceType ?? '',
          subject: job.job_id,
        }),
        [CORRELATION_ID]: job.correlation_id,
      },
    });
    sent.catch(() => undefined); // reported by flush()
    pending.push(sent);
  };
  return {
    event(event) {
      if (event.type === 'content_block_start') {
        const block = event.content_block;
        if (block.type === 'text') {
          publish({ ...base(), type: 'block_start', index: event.index, block: { type: 'text' } });
        } else if (block.type === 'tool_use') {
          publish({
            ...base(),
            type: 'block_start',
            index: event.index,
            block: { type: 'tool_use', id: block.id, name: block.name },
          });
        }
      } else if (event.type === 'content_block_delta') {
        const delta = event.delta;
        if (delta.type === 'text_delta') {
          publish({
            ...base(),
            type: 'delta',
            index: event.index,
            delta: { type: 'text_delta', text: delta.text },
          });
        } else if (delta.type === 'input_json_delta') {
          publish({
            ...base(),
            type: 'delta',
            index: event.index,
            delta: { type: 'input_json_delta', partial_json: delta.partial_json },
          });
        }
      }
    },
    end(stopReason, usage, model) {
      publish({ ...base(), type: 'end', stop_reason: stopReason, usage, model });
    },
    abort(error, retrying) {
      publish({
        ...base(),
        type: 'abort',
        error: { class: error.class, message: error.message.slice(0, 1024) },
        retrying,
      });
    },
    async flush() {
      await Promise.all(pending.splice(0));
    },
  };
}
