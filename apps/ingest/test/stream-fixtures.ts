import type { StreamRecord } from '@claude-pipeline/schemas';

/** Stream records as the claude-worker writes them, for unit tests. */
export const JOB = 'job_stream_1';
export const TENANT = 'acme';

const base = (seq: number, attempt: number, generation: number) => ({
  schema_version: 1 as const,
  job_id: JOB,
  tenant: TENANT,
  generation,
  attempt,
  seq,
});

export const blockStart = (seq: number, attempt = 1, generation = 1): StreamRecord => ({
  ...base(seq, attempt, generation),
  type: 'block_start',
  index: 0,
  block: { type: 'text' },
});

export const delta = (seq: number, text: string, attempt = 1, generation = 1): StreamRecord => ({
  ...base(seq, attempt, generation),
  type: 'delta',
  index: 0,
  delta: { type: 'text_delta', text },
});

export const end = (seq: number, attempt = 1, generation = 1): StreamRecord => ({
  ...base(seq, attempt, generation),
  type: 'end',
  stop_reason: 'end_turn',
  usage: {
    input_tokens: 10,
    output_tokens: 5,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  },
  model: 'claude-sonnet-4-5',
});

export const abort = (seq: number, retrying: boolean, attempt = 1): StreamRecord => ({
  ...base(seq, attempt, 1),
  type: 'abort',
  error: { class: 'transient', message: 'stream broken' },
  retrying,
});
