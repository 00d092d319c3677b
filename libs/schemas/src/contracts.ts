import type { z } from 'zod';
import { batchControlSchema, batchesRecordSchema } from './batches.ts';
import { callbackPayloadSchema } from './callback.ts';
import { SCHEMA_VERSION } from './common.ts';
import { dedupeEntrySchema } from './dedupe.ts';
import { eventRecordSchema } from './events.ts';
import {
  jobStatusResponseSchema,
  jobSubmissionResponseSchema,
  jobSubmissionSchema,
} from './http.ts';
import { jobRecordSchema } from './jobs.ts';
import { problemSchema } from './problem.ts';
import { resultRecordSchema } from './results.ts';
import { statusRecordSchema } from './status.ts';
import { streamRecordSchema } from './stream.ts';

/**
 * A contract: a schema with the name and version under which it is published (JSON Schema file
 * `<name>.v<version>.json`, AsyncAPI component `<title>`, CloudEvents type `<ceType>`).
 */
export interface Contract<S extends z.ZodType = z.ZodType> {
  /** kebab-case, stable: file names and error messages use it. */
  readonly name: string;
  /** PascalCase: the AsyncAPI component name. */
  readonly title: string;
  /** Major version; for Kafka records also the `schema_version` field. */
  readonly version: number;
  readonly schema: S;
  /** Where it travels. */
  readonly transport: 'kafka' | 'http';
  /** CloudEvents `ce_type` of Kafka records. */
  readonly ceType?: string;
  /** Consumed outside this repository (other teams, API clients, callback receivers). */
  readonly public: boolean;
}

const CE_TYPE_PREFIX = 'claude-pipeline.';

function kafka<S extends z.ZodType>(
  name: string,
  title: string,
  schema: S,
  ceType: string,
  isPublic = false,
): Contract<S> {
  return {
    name,
    title,
    version: SCHEMA_VERSION,
    schema,
    transport: 'kafka',
    ceType: `${CE_TYPE_PREFIX}${ceType}.v${SCHEMA_VERSION}`,
    public: isPublic,
  };
}

function http<S extends z.ZodType>(
  name: string,
  title: string,
  schema: S,
  isPublic = true,
): Contract<S> {
  return { name, title, version: 1, schema, transport: 'http', public: isPublic };
}

/** Every contract of the pipeline, by role. */
export const contracts = {
  eventRecord: kafka('event-record', 'EventRecord', eventRecordSchema, 'event.accepted'),
  dedupeEntry: kafka('dedupe-entry', 'DedupeEntry', dedupeEntrySchema, 'dedupe.first-seen'),
  jobRecord: kafka('job-record', 'JobRecord', jobRecordSchema, 'job.requested', true),
  resultRecord: kafka('result-record', 'ResultRecord', resultRecordSchema, 'job.result', true),
  statusRecord: kafka('status-record', 'StatusRecord', statusRecordSchema, 'job.status'),
  streamRecord: kafka('stream-record', 'StreamRecord', streamRecordSchema, 'job.stream'),
  batchesRecord: kafka('batches-record', 'BatchesRecord', batchesRecordSchema, 'batch.record'),
  batchControl: kafka('batch-control', 'BatchControl', batchControlSchema, 'batch.poll'),
  jobSubmission: http('job-submission', 'JobSubmission', jobSubmissionSchema),
  jobSubmissionResponse: http(
    'job-submission-response',
    'JobSubmissionResponse',
    jobSubmissionResponseSchema,
  ),
  jobStatusResponse: http('job-status-response', 'JobStatusResponse', jobStatusResponseSchema),
  callbackPayload: http('callback-payload', 'CallbackPayload', callbackPayloadSchema),
  problem: http('problem', 'Problem', problemSchema),
} as const;

export type ContractName = (typeof contracts)[keyof typeof contracts]['name'];

export const CONTRACT_LIST: readonly Contract[] = Object.values(contracts);

export const contractByName = (name: string): Contract | undefined =>
  CONTRACT_LIST.find((contract) => contract.name === name);
