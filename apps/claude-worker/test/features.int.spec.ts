/**
 * What a job asks for, end to end: streamed deltas on `pipeline.stream` (ordered, then an end
 * record) that add up to the result's text; `tool_use` blocks returned with their stop reason;
 * a long system prompt cached automatically (the second job reads the cache); task-class routing;
 * status records `processing` then `succeeded`; the job's trace continued on the result.
 */
import { SAMPLE_TRACEPARENT } from '@claude-pipeline/schemas/testing';
import {
  jobFor,
  startHarness,
  waitFor,
  type Harness,
  type KafkaRecord,
} from './support/harness.ts';

describe('job features (real broker, anthropic-sim, real SDK)', () => {
  let h: Harness;
  let results: KafkaRecord[];
  let status: KafkaRecord[];
  let stream: KafkaRecord[];

  beforeAll(async () => {
    h = await startHarness({
      SIM_TOKENS_PER_SECOND: '2000',
      SIM_OUTPUT_TOKENS_MIN: '40',
      SIM_OUTPUT_TOKENS_MAX: '60',
    });
    [results, status, stream] = await Promise.all([
      h.read(h.names.results),
      h.read(h.names.status),
      h.read(h.names.stream),
    ]);
    await h.start();
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  const resultOf = (id: string) =>
    waitFor(() => results.find((r) => r.key === id), {
      timeoutMs: 30_000,
      description: `result of ${id}`,
    });

  it('publishes ordered stream deltas and an end record that match the result', async () => {
    const job = jobFor('Tell a story', { stream: true, max_tokens: 200 });
    await h.sendJobs([job]);
    const result = await resultOf(job.job_id);
    await waitFor(() => stream.some((r) => r.key === job.job_id && r.json['type'] === 'end'), {
      description: 'stream end record',
    });
    const records = stream.filter((r) => r.key === job.job_id).map((r) => r.json);
    expect(records.map((r) => r['seq'])).toEqual(records.map((_, i) => i));
    expect(records[0]).toMatchObject({ type: 'block_start', block: { type: 'text' }, attempt: 1 });
    const deltas = records.filter((r) => r['type'] === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    const text = deltas.map((r) => (r['delta'] as { text: string }).text).join('');
    const content = result.json['content'] as { type: string; text: string }[];
    expect(text).toBe(content[0]?.text);
    expect(records[records.length - 1]).toMatchObject({ type: 'end', stop_reason: 'end_turn' });
  }, 60_000);

  it('retries a broken stream as a whole: abort record, then a full second attempt', async () => {
    await h.sim.admin('/_sim/faults', {
      match: { contains: 'cut-me', stream: true },
      action: { type: 'stream_reset', after_events: 3 },
      times: 1,
    });
    const job = jobFor('cut-me story', { stream: true, max_tokens: 200 });
    await h.sendJobs([job]);
    const result = await resultOf(job.job_id);
    expect(result.json).toMatchObject({ status: 'succeeded', attempts: 2 });
    await waitFor(() => stream.some((r) => r.key === job.job_id && r.json['type'] === 'end'), {
      description: 'stream end record',
    });
    const records = stream.filter((r) => r.key === job.job_id).map((r) => r.json);
    const firstAttempt = records.filter((r) => r['attempt'] === 1);
    expect(firstAttempt[firstAttempt.length - 1]).toMatchObject({
      type: 'abort',
      retrying: true,
      error: { class: 'transient' },
    });
    const second = records.filter((r) => r['attempt'] === 2);
    expect(second.map((r) => r['seq'])).toEqual(second.map((_, i) => i));
    const text = second
      .filter((r) => r['type'] === 'delta')
      .map((r) => (r['delta'] as { text: string }).text)
      .join('');
    expect(text).toBe((result.json['content'] as { text: string }[])[0]?.text);
  }, 60_000);

  it('returns tool_use blocks with their stop reason', async () => {
    const job = jobFor('Look up the weather', {
      tools: [
        {
          name: 'get_weather',
          input_schema: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
          },
        },
      ],
      tool_choice: { type: 'tool', name: 'get_weather' },
    });
    await h.sendJobs([job]);
    const result = await resultOf(job.job_id);
    expect(result.json['stop_reason']).toBe('tool_use');
    const blocks = result.json['content'] as { type: string; name?: string; input?: unknown }[];
    expect(blocks.find((b) => b.type === 'tool_use')).toMatchObject({
      name: 'get_weather',
      input: { city: expect.any(String) },
    });
  }, 60_000);

  it('caches a long system prompt automatically and routes by task class', async () => {
    const system = 'You are a careful analyst. '.repeat(400); // ~10,800 chars, ~2,700 tokens
    const first = jobFor('First input', { model: undefined, task_class: 'code', system });
    await h.sendJobs([first]);
    const a = await resultOf(first.job_id);
    const second = jobFor('Second input', { model: undefined, task_class: 'code', system });
    await h.sendJobs([second]);
    const b = await resultOf(second.job_id);
    expect(a.json['model']).toBe('claude-sonnet-4-6'); // the default route of `code`
    expect(a.json['usage']).toMatchObject({ cache_creation_input_tokens: expect.any(Number) });
    expect(
      (a.json['usage'] as { cache_creation_input_tokens: number }).cache_creation_input_tokens,
    ).toBeGreaterThan(1000);
    expect(
      (b.json['usage'] as { cache_read_input_tokens: number }).cache_read_input_tokens,
    ).toBeGreaterThan(1000);
  }, 60_000);

  it('reports processing then succeeded on the status topic, and continues the job trace', async () => {
    const job = jobFor('Status please');
    await h.sendJobs([job]);
    const result = await resultOf(job.job_id);
    await waitFor(() => status.filter((r) => r.key === job.job_id).length >= 2, {
      description: 'two status records',
    });
    const states = status.filter((r) => r.key === job.job_id).map((r) => r.json['state']);
    expect(states).toEqual(['processing', 'succeeded']);
    const terminal = status.filter((r) => r.key === job.job_id)[1]?.json;
    expect(terminal).toMatchObject({
      result: { status: 'succeeded' },
      attempts: [{ outcome: 'succeeded' }],
    });
    // Without an SDK registered the producer passes the job's own trace id along.
    const traceId = SAMPLE_TRACEPARENT.split('-')[1];
    expect(result.headers['traceparent'] ?? '').toContain(traceId);
  }, 60_000);
});
