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

/** Bytes the request adds to the create call's JSON body. */
export const requestBytes = (request: BatchRequest): number =>
  Buffer.byteLength(JSON.stringify(request), 'utf8');
