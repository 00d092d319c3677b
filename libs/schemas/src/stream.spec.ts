import { streamRecordSchema } from './stream.ts';
import { sampleStreamDelta, sampleStreamEnd } from './testing.ts';

describe('stream records', () => {
  it('accepts block starts, text and tool input deltas, end and abort records', () => {
    const records = [
      { ...sampleStreamDelta('x', 0), type: 'block_start', block: { type: 'text' } },
      sampleStreamDelta('Hel', 1),
      sampleStreamDelta('lo', 2),
      {
        ...sampleStreamDelta('', 3),
        index: 1,
        type: 'block_start',
        block: { type: 'tool_use', id: 'toolu_1', name: 'lookup' },
      },
      {
        ...sampleStreamDelta('', 4),
        index: 1,
        delta: { type: 'input_json_delta', partial_json: '{"q":' },
      },
      sampleStreamEnd(5),
      {
        ...sampleStreamDelta('', 0, 1),
        type: 'abort',
        error: { class: 'transient', message: 'connection reset' },
        retrying: true,
      },
    ];
    for (const record of records) {
      expect(streamRecordSchema.safeParse(record).error?.issues ?? []).toEqual([]);
    }
  });

  it('rejects a negative sequence number, attempt 0 and unknown delta types', () => {
    expect(streamRecordSchema.safeParse(sampleStreamDelta('x', -1)).success).toBe(false);
    expect(streamRecordSchema.safeParse(sampleStreamDelta('x', 0, 0)).success).toBe(false);
    expect(
      streamRecordSchema.safeParse({
        ...sampleStreamDelta('x', 0),
        delta: { type: 'thinking_delta', thinking: 'x' },
      }).success,
    ).toBe(false);
  });

  it('an end record needs stop reason and usage', () => {
    const { usage: _u, ...noUsage } = sampleStreamEnd(3) as Extract<
      ReturnType<typeof sampleStreamEnd>,
      { type: 'end' }
    >;
    expect(streamRecordSchema.safeParse(noUsage).success).toBe(false);
  });
});
