import { formatComment, formatEvent, formatRetry } from './sse.ts';

/** A minimal SSE parser per the WHATWG algorithm, to check frames the way a browser reads them. */
function parse(stream: string): { id: string; event: string; data: string }[] {
  const events: { id: string; event: string; data: string }[] = [];
  let id = '';
  let event = '';
  let data: string[] = [];
  for (const line of stream.split('\n')) {
    if (line === '') {
      if (data.length > 0) events.push({ id, event: event || 'message', data: data.join('\n') });
      event = '';
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') id = value;
    if (field === 'event') event = value;
    if (field === 'data') data.push(value);
  }
  return events;
}

describe('SSE framing', () => {
  it('frames id, event and data and ends with a blank line', () => {
    expect(formatEvent({ id: '1.1.0', event: 'delta', data: '{"a":1}' })).toBe(
      'id: 1.1.0\nevent: delta\ndata: {"a":1}\n\n',
    );
  });

  it('sends multi-line data as one data line per line, which the client joins back', () => {
    const frame = formatEvent({ event: 'delta', data: 'one\ntwo\r\nthree\rfour' });
    expect(frame).toBe('event: delta\ndata: one\ndata: two\ndata: three\ndata: four\n\n');
    expect(parse(frame)).toEqual([{ id: '', event: 'delta', data: 'one\ntwo\nthree\nfour' }]);
  });

  it('keeps data that starts with a space or a colon intact', () => {
    const frame = formatEvent({ data: ' lead: x' });
    expect(parse(frame)[0]?.data).toBe(' lead: x');
  });

  it('refuses an id or event type with a line break', () => {
    expect(() => formatEvent({ id: '1\n2', data: 'x' })).toThrow(/single line/);
    expect(() => formatEvent({ event: 'a\rb', data: 'x' })).toThrow(/single line/);
  });

  it('frames comments that a client ignores', () => {
    const stream = formatComment('heartbeat') + formatEvent({ data: 'x' }) + formatComment();
    expect(formatComment('heartbeat')).toBe(': heartbeat\n\n');
    expect(formatComment()).toBe(':\n\n');
    expect(parse(stream)).toEqual([{ id: '', event: 'message', data: 'x' }]);
  });

  it('frames the reconnection delay', () => {
    expect(formatRetry(2500.7)).toBe('retry: 2500\n\n');
  });

  it('a sequence of events parses back in order with the last id kept', () => {
    const stream =
      formatEvent({ id: '1.1.0', event: 'delta', data: '"a"' }) +
      formatEvent({ id: '1.1.1', event: 'end', data: '{}' });
    expect(parse(stream).map((e) => [e.id, e.event])).toEqual([
      ['1.1.0', 'delta'],
      ['1.1.1', 'end'],
    ]);
  });
});
