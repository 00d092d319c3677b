import { jobRecordSchema } from './jobs.ts';
import { sampleJobRecord } from './testing.ts';

const issuesOf = (value: unknown): string[] => {
  const result = jobRecordSchema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('job record', () => {
  it('accepts a minimal realtime job', () => {
    expect(issuesOf(sampleJobRecord())).toEqual([]);
  });

  it('accepts a full job: system blocks, tools, tool turns, callback, metadata', () => {
    const job = sampleJobRecord({
      mode: 'batch',
      model: undefined,
      task_class: 'summarize',
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '18 °C' }],
        },
      ],
      temperature: 0.2,
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather',
          input_schema: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
      tool_choice: { type: 'auto' },
      callback: { url: 'https://hooks.example.com/claude' },
      metadata: { ticket: 'T-1' },
    });
    expect(issuesOf(job)).toEqual([]);
  });

  it('keeps unknown fields out of the parsed value (tolerant reader)', () => {
    const parsed = jobRecordSchema.parse({ ...sampleJobRecord(), added_in_v1_3: true });
    expect(parsed).not.toHaveProperty('added_in_v1_3');
  });

  it('needs exactly one of model and task_class', () => {
    const { model: _model, ...withoutModel } = sampleJobRecord();
    expect(issuesOf(withoutModel)).toEqual(['model: model or task_class is required']);
    expect(issuesOf(sampleJobRecord({ task_class: 'fast' }))).toEqual([
      'task_class: give either model or task_class, not both',
    ]);
  });

  it('refuses streaming in batch mode', () => {
    expect(issuesOf(sampleJobRecord({ mode: 'batch', stream: true }))).toEqual([
      'stream: stream is only available in realtime mode',
    ]);
  });

  it('rejects a bad job id, an unknown mode and a missing schema version', () => {
    expect(issuesOf({ ...sampleJobRecord(), job_id: 'not/valid' })).toHaveLength(1);
    expect(issuesOf({ ...sampleJobRecord(), mode: 'offline' })).toHaveLength(1);
    const { schema_version: _v, ...unversioned } = sampleJobRecord();
    expect(issuesOf(unversioned)).toHaveLength(1);
    expect(issuesOf({ ...sampleJobRecord(), schema_version: 2 })).toHaveLength(1);
  });

  it('rejects bad messages: no messages, unknown role, empty block list, unknown block', () => {
    expect(issuesOf(sampleJobRecord({ messages: [] }))).not.toEqual([]);
    expect(
      issuesOf({ ...sampleJobRecord(), messages: [{ role: 'system', content: 'x' }] }),
    ).not.toEqual([]);
    expect(
      issuesOf({ ...sampleJobRecord(), messages: [{ role: 'user', content: [] }] }),
    ).not.toEqual([]);
    expect(
      issuesOf({
        ...sampleJobRecord(),
        messages: [{ role: 'user', content: [{ type: 'image', source: {} }] }],
      }),
    ).not.toEqual([]);
  });

  it('bounds max_tokens and temperature', () => {
    expect(issuesOf(sampleJobRecord({ max_tokens: 0 }))).toHaveLength(1);
    expect(issuesOf(sampleJobRecord({ max_tokens: 1.5 }))).toHaveLength(1);
    expect(issuesOf(sampleJobRecord({ max_tokens: 128_001 }))).toHaveLength(1);
    expect(issuesOf(sampleJobRecord({ temperature: 1.1 }))).toHaveLength(1);
  });

  it('rejects a callback URL that is not http(s) and invalid tool names', () => {
    expect(issuesOf(sampleJobRecord({ callback: { url: 'ftp://example.com/x' } }))).toHaveLength(1);
    expect(issuesOf(sampleJobRecord({ callback: { url: 'not a url' } }))).toHaveLength(1);
    expect(
      issuesOf(
        sampleJobRecord({ tools: [{ name: 'bad name', input_schema: { type: 'object' } }] }),
      ),
    ).toHaveLength(1);
  });
});
