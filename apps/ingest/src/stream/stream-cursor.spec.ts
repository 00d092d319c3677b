import type { StreamRecord } from '@claude-pipeline/schemas';
import { abort, blockStart, delta, end, JOB, TENANT } from '../../test/stream-fixtures.ts';
import { createJobStream, type JobStream } from './job-stream.ts';
import { nextEvents, parseLastEventId, type Cursor } from './stream-cursor.ts';

const streamOf = (...records: Parameters<JobStream['apply']>[0][]) => {
  const stream = createJobStream(JOB, TENANT);
  records.forEach((r) => stream.apply(r));
  return stream;
};

const summary = (stream: JobStream, cursor: Cursor | undefined) => {
  const next = nextEvents(stream, cursor);
  return { ...next, events: next.events.map((e) => `${e.event}@${e.id}`) };
};

describe('Last-Event-ID', () => {
  it.each([
    ['1.1.0', { generation: 1, attempt: 1, seq: 0 }],
    ['2.3.41', { generation: 2, attempt: 3, seq: 41 }],
    ['1.2.-1', { generation: 1, attempt: 2, seq: -1 }],
    [' 1.1.7 ', { generation: 1, attempt: 1, seq: 7 }],
  ])('%j is a cursor', (text, cursor) => {
    expect(parseLastEventId(text)).toEqual(cursor);
  });

  it.each([undefined, '', '  '])('%j means a fresh start', (text) => {
    expect(parseLastEventId(text)).toBeUndefined();
  });

  it.each(['7', '0.1.0', '1.0.0', '1.1.-2', '1.1.01', 'a.b.c', '1.1.1.1', '1.1.99999999999'])(
    '%j is invalid',
    (text) => {
      expect(parseLastEventId(text)).toBe('invalid');
    },
  );
});

describe('next events of a client', () => {
  it('a fresh client gets everything so far, with ids that resume', () => {
    const stream = streamOf(blockStart(0), delta(1, 'a'), delta(2, 'b'));
    expect(summary(stream, undefined)).toEqual({
      events: ['block_start@1.1.0', 'delta@1.1.1', 'delta@1.1.2'],
      cursor: { generation: 1, attempt: 1, seq: 2 },
      finished: false,
    });
  });

  it('sends a delta as index and delta, as the Messages API does', () => {
    const [event] = nextEvents(streamOf(blockStart(0), delta(1, 'Hi')), {
      generation: 1,
      attempt: 1,
      seq: 0,
    }).events;
    expect(event).toEqual({
      id: '1.1.1',
      event: 'delta',
      data: JSON.stringify({ index: 0, delta: { type: 'text_delta', text: 'Hi' } }),
    });
  });

  it('passes tool use blocks and their input JSON deltas through', () => {
    const base = {
      schema_version: 1,
      job_id: JOB,
      tenant: TENANT,
      generation: 1,
      attempt: 1,
    } as const;
    const toolStart: StreamRecord = {
      ...base,
      seq: 0,
      type: 'block_start',
      index: 1,
      block: { type: 'tool_use', id: 'toolu_1', name: 'lookup' },
    };
    const inputDelta: StreamRecord = {
      ...base,
      seq: 1,
      type: 'delta',
      index: 1,
      delta: { type: 'input_json_delta', partial_json: '{"q":' },
    };
    const next = nextEvents(streamOf(toolStart, inputDelta), undefined);
    expect(next.events.map((e) => JSON.parse(e.data) as unknown)).toEqual([
      { index: 1, block: { type: 'tool_use', id: 'toolu_1', name: 'lookup' } },
      { index: 1, delta: { type: 'input_json_delta', partial_json: '{"q":' } },
    ]);
  });

  it('resumes after the Last-Event-ID: nothing missed, nothing twice', () => {
    const stream = streamOf(blockStart(0), delta(1, 'a'), delta(2, 'b'), delta(3, 'c'));
    expect(summary(stream, { generation: 1, attempt: 1, seq: 1 }).events).toEqual([
      'delta@1.1.2',
      'delta@1.1.3',
    ]);
    expect(summary(stream, { generation: 1, attempt: 1, seq: 3 }).events).toEqual([]);
  });

  it('sends nothing past a gap', () => {
    const stream = streamOf(blockStart(0), delta(2, 'b'));
    expect(summary(stream, undefined).events).toEqual(['block_start@1.1.0']);
  });

  it('ends with the end event (stop reason, usage) and says finished', () => {
    const stream = streamOf(blockStart(0), delta(1, 'a'), end(2));
    const next = nextEvents(stream, { generation: 1, attempt: 1, seq: 1 });
    expect(next.finished).toBe(true);
    expect(next.events).toHaveLength(1);
    expect(next.events[0]?.event).toBe('end');
    expect(JSON.parse(next.events[0]?.data ?? '')).toMatchObject({
      stop_reason: 'end_turn',
      usage: { output_tokens: 5 },
    });
  });

  it('a client resuming after the end event is finished at once', () => {
    const stream = streamOf(blockStart(0), end(1));
    expect(summary(stream, { generation: 1, attempt: 1, seq: 1 })).toMatchObject({
      events: [],
      finished: true,
    });
  });

  it('a client that saw an earlier attempt gets one retry event, then the new attempt from 0', () => {
    const stream = streamOf(blockStart(0), delta(1, 'a'), abort(2, true), blockStart(0, 2));
    const next = summary(stream, { generation: 1, attempt: 1, seq: 1 });
    expect(next.events).toEqual(['retry@1.2.-1', 'block_start@1.2.0']);
    const retry = nextEvents(stream, { generation: 1, attempt: 1, seq: 1 }).events[0];
    expect(JSON.parse(retry?.data ?? '')).toEqual({
      generation: 1,
      attempt: 2,
      reason: { class: 'transient', message: 'stream broken' },
    });
    // Resuming right after the retry event gives no second one.
    expect(summary(stream, { generation: 1, attempt: 2, seq: -1 }).events).toEqual([
      'block_start@1.2.0',
    ]);
  });

  it('a retry without an abort record (the worker crashed) is detected by the attempt number', () => {
    const stream = streamOf(blockStart(0), delta(1, 'a'), blockStart(0, 2), delta(1, 'b', 2));
    expect(summary(stream, { generation: 1, attempt: 1, seq: 0 }).events).toEqual([
      'retry@1.2.-1',
      'block_start@1.2.0',
      'delta@1.2.1',
    ]);
  });

  it('a client that saw nothing yet gets the newest attempt without a retry event', () => {
    const stream = streamOf(blockStart(0), abort(1, true), blockStart(0, 2));
    expect(summary(stream, undefined).events).toEqual(['block_start@1.2.0']);
  });

  it('a client ahead of this replica waits instead of going back to an older attempt', () => {
    const stream = streamOf(blockStart(0), delta(1, 'a'));
    expect(summary(stream, { generation: 1, attempt: 2, seq: 3 })).toEqual({
      events: [],
      cursor: { generation: 1, attempt: 2, seq: 3 },
      finished: false,
    });
  });

  it('ends with a failed event when no attempt follows an abort', () => {
    const stream = streamOf(blockStart(0), abort(1, false));
    const next = summary(stream, undefined);
    expect(next.events).toEqual(['block_start@1.1.0', 'failed@1.1.1']);
    expect(next.finished).toBe(true);
  });
});
