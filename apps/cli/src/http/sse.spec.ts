import { createSseParser, type SseMessage } from './sse.ts';

function parse(chunks: readonly (string | Uint8Array)[], end = true) {
  const events: SseMessage[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = createSseParser({
    onEvent: (m) => events.push(m),
    onComment: (c) => comments.push(c),
    onRetry: (ms) => retries.push(ms),
  });
  for (const chunk of chunks) parser.push(chunk);
  if (end) parser.end();
  return { events, comments, retries, lastEventId: parser.lastEventId };
}

describe('SSE parser', () => {
  it('parses events as ingest frames them: id, event type, JSON data', () => {
    const { events, lastEventId } = parse([
      'retry: 1000\n\n',
      'id: 1.1.0\nevent: block_start\ndata: {"index":0}\n\n',
      'id: 1.1.1\nevent: delta\ndata: {"text":"Hi"}\n\n',
    ]);
    expect(events).toEqual([
      { id: '1.1.0', event: 'block_start', data: '{"index":0}' },
      { id: '1.1.1', event: 'delta', data: '{"text":"Hi"}' },
    ]);
    expect(lastEventId).toBe('1.1.1');
  });

  it('accepts LF, CRLF and CR line ends, also when a CRLF is split across chunks', () => {
    const { events } = parse([
      'event: a\r\ndata: 1\r',
      '\n\r',
      '\nevent: b\rdata: 2\r\r',
      'data: 3\n\n',
    ]);
    expect(events).toEqual([
      { id: '', event: 'a', data: '1' },
      { id: '', event: 'b', data: '2' },
      { id: '', event: 'message', data: '3' },
    ]);
  });

  it('joins data lines with \\n, strips one space after the colon, ignores unknown fields', () => {
    const { events } = parse(['data:  two spaces\ndata:none\ndata\nfoo: bar\ndata: last\n\n']);
    expect(events).toEqual([{ id: '', event: 'message', data: ' two spaces\nnone\n\nlast' }]);
  });

  it('reports comments (heartbeats) and valid retry fields only', () => {
    const { events, comments, retries } = parse([
      ': heartbeat\n\n:\n\nretry: 250\n\nretry: 1.5\n\nretry: soon\n\n',
    ]);
    expect(events).toEqual([]);
    expect(comments).toEqual(['heartbeat', '']);
    expect(retries).toEqual([250]);
  });

  it('an id persists for later events; an id with NUL is ignored', () => {
    const { events } = parse(['id: 7\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\n']);
    expect(events.map((e) => e.id)).toEqual(['7', '7', '7']);
  });

  it('a block without data dispatches nothing but still moves lastEventId', () => {
    const { events, lastEventId } = parse(['id: 1.1.4\nevent: delta\n\n']);
    expect(events).toEqual([]);
    expect(lastEventId).toBe('1.1.4');
  });

  it('an event cut off by the end of the stream is dropped and its id not taken', () => {
    const { events, lastEventId } = parse([
      'id: 1.1.0\ndata: whole\n\n',
      'id: 1.1.1\nevent: delta\ndata: {"text":"cut',
    ]);
    expect(events).toEqual([{ id: '1.1.0', event: 'message', data: 'whole' }]);
    expect(lastEventId).toBe('1.1.0');
  });

  it('decodes UTF-8 split across chunks and drops a leading BOM', () => {
    const bytes = new TextEncoder().encode('\uFEFFdata: héllo 🌍\n\n');
    const { events } = parse([
      bytes.slice(0, 4),
      bytes.slice(4, 10),
      bytes.slice(10, 17),
      bytes.slice(17),
    ]);
    expect(events).toEqual([{ id: '', event: 'message', data: 'héllo 🌍' }]);
  });

  it('dispatches each event as soon as its blank line arrives', () => {
    const events: string[] = [];
    const parser = createSseParser({ onEvent: (m) => events.push(m.data) });
    parser.push('data: a\n');
    expect(events).toEqual([]);
    parser.push('\n');
    expect(events).toEqual(['a']);
    parser.push('data: b\n\ndata: c');
    expect(events).toEqual(['a', 'b']);
  });
});
