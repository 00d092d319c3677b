import type { DlqRecord } from '@claude-pipeline/kafka';
import { headerString } from '@claude-pipeline/kafka';
import { isRecord, parseJsonOrUndefined, utf8OrUndefined } from '../output/format.ts';

/**
 * Dead letters as the CLI shows them, refers to them and redrives them. A record is named by its
 * coordinates `<dlq topic>:<partition>:<offset>` (what `dlq list` prints and `dlq show` /
 * `dlq redrive` accept).
 */
export const recordRef = (r: Pick<DlqRecord, 'dlqTopic' | 'partition' | 'offset'>): string =>
  `${r.dlqTopic}:${r.partition}:${r.offset}`;

export interface RecordRef {
  topic: string;
  partition: number;
  offset: string;
}

export function parseRecordRef(text: string): RecordRef | undefined {
  const match = /^(.+):(\d+):(\d+)$/.exec(text.trim());
  if (!match?.[1] || match[2] === undefined || match[3] === undefined) return undefined;
  return { topic: match[1], partition: Number(match[2]), offset: String(BigInt(match[3])) };
}

/** The JSON view of a dead letter (`--json`): bytes as UTF-8 text, or base64 when they are not. */
export interface DlqRecordView {
  ref: string;
  dlq_topic: string;
  partition: number;
  offset: string;
  failed_at: string | undefined;
  error_class: string | undefined;
  error_message: string | undefined;
  stage: string | undefined;
  source_topic: string | undefined;
  correlation_id: string | undefined;
  generation: number;
  key: string | null;
  value: string | null;
  /** Set when the value is not UTF-8 (then `value` is base64). */
  value_encoding?: 'base64';
  headers: Record<string, string>;
}

export function dlqRecordView(record: DlqRecord): DlqRecordView {
  const valueText = utf8OrUndefined(record.value);
  const headers: Record<string, string> = {};
  for (const name of Object.keys(record.headers).sort()) {
    const value = headerString(record.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  return {
    ref: recordRef(record),
    dlq_topic: record.dlqTopic,
    partition: record.partition,
    offset: record.offset,
    failed_at: record.failedAt === undefined ? undefined : new Date(record.failedAt).toISOString(),
    error_class: record.errorClass,
    error_message: record.errorMessage,
    stage: record.stage,
    source_topic: record.sourceTopic,
    correlation_id: record.correlationId,
    generation: record.generation,
    key:
      record.key === null ? null : (utf8OrUndefined(record.key) ?? record.key.toString('base64')),
    value: record.value === null ? null : (valueText ?? record.value.toString('base64')),
    ...(record.value !== null && valueText === undefined
      ? { value_encoding: 'base64' as const }
      : {}),
    headers,
  };
}

/** The job id a dead letter is about, when its value says (job, result, status or event record). */
export function jobIdOf(record: DlqRecord): string | undefined {
  const json = parseJsonOrUndefined(utf8OrUndefined(record.value));
  if (!isRecord(json)) return undefined;
  if (typeof json['job_id'] === 'string') return json['job_id'];
  const job = json['job'];
  return isRecord(job) && typeof job['job_id'] === 'string' ? job['job_id'] : undefined;
}

/**
 * The value a redriven record carries: the same JSON with its `generation` raised (a job, result
 * or status record has it at the top, an event record in `job`), so the services and the
 * consumers of `pipeline.results` see a later generation that supersedes the `failed` one. The
 * body generation is raised past both its own value and the header's (`nextGeneration`), so it
 * only ever goes up. Values that are not JSON objects with a generation are sent unchanged (and
 * counted by `redriveValue.unchanged`).
 */
export function raiseGeneration(value: Buffer | null, nextGeneration: number): Buffer | null {
  const text = utf8OrUndefined(value);
  const json = parseJsonOrUndefined(text);
  if (!isRecord(json)) return value;
  const target =
    typeof json['generation'] === 'number'
      ? json
      : isRecord(json['job']) && typeof json['job']['generation'] === 'number'
        ? json['job']
        : undefined;
  if (target === undefined) return value;
  const current = target['generation'] as number;
  target['generation'] = Math.max(current + 1, nextGeneration);
  return Buffer.from(JSON.stringify(json));
}

/** Whether `raiseGeneration` would change this value. */
export function hasBodyGeneration(value: Buffer | null): boolean {
  const json = parseJsonOrUndefined(utf8OrUndefined(value));
  if (!isRecord(json)) return false;
  return (
    typeof json['generation'] === 'number' ||
    (isRecord(json['job']) && typeof json['job']['generation'] === 'number')
  );
}
