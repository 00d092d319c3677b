import type { BatchCreateParams } from '@anthropic-ai/sdk/resources/messages/batches';
import type { JobRecord } from '@claude-pipeline/schemas';

export type BatchRequest = BatchCreateParams.Request;

export interface RoutingTable {
  defaultModel: string;
  taskClassModels: Readonly<Record<string, string>>;
}

/** The Message Batches request of a job: its Claude call, with the job id as `custom_id`. */
export function batchRequestOf(job: JobRecord, routing: RoutingTable): BatchRequest {
  const model =
    job.model ??
    (job.task_class === undefined ? undefined : routing.taskClassModels[job.task_class]) ??
    routing.defaultModel;
  const params: Record<string, unknown> = {
    model,
    max_tokens: job.max_tokens,
    messages: job.messages,
  };
  if (job.system !== undefined) params['system'] = job.system;
  if (job.temperature !== undefined) params['temperature'] = job.temperature;
  if (job.tools !== undefined) params['tools'] = job.tools;
  if (job.tool_choice !== undefined) params['tool_choice'] = job.tool_choice;
  return { custom_id: job.job_id, params: params as unknown as BatchRequest['params'] };
}

/** Bytes of one piece of a streamed create body. */
const BODY_PIECE_BYTES = 256 * 1024;

/**
 * The create call's JSON body `{"requests":[...]}` as a stream of pieces of about `pieceBytes`,
 * built from the requests' JSON (serialized once, when each job was packed): up to 256 MB of
 * JSON is never one string plus its encoded copy, and the request objects are never held.
 */
export function requestsBody(
  requests: readonly string[],
  pieceBytes = BODY_PIECE_BYTES,
): ReadableStream<Uint8Array> {
  let next = 0;
  let opened = false;
  let closed = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (closed) return;
      const parts: string[] = [];
      let size = 0;
      if (!opened) {
        opened = true;
        parts.push('{"requests":[');
      }
      while (next < requests.length && size < pieceBytes) {
        const json = requests[next] ?? '';
        parts.push(next === 0 ? json : `,${json}`);
        size += json.length + 1;
        next += 1;
      }
      if (next >= requests.length) {
        parts.push(']}');
        closed = true;
      }
      controller.enqueue(Buffer.from(parts.join(''), 'utf8'));
      if (closed) controller.close();
    },
  });
}
