import { cloudEventHeaders, headerNumber, headerString, readCloudEvent } from './headers.ts';

describe('headers', () => {
  it('reads a header as a string from a Buffer, a string or a repeated header (last wins)', () => {
    expect(headerString({ a: Buffer.from('x') }, 'a')).toBe('x');
    expect(headerString({ a: 'y' }, 'a')).toBe('y');
    expect(headerString({ a: [Buffer.from('1'), '2'] }, 'a')).toBe('2');
    expect(headerString({}, 'a')).toBeUndefined();
    expect(headerString(undefined, 'a')).toBeUndefined();
  });

  it('reads numbers and refuses garbage', () => {
    expect(headerNumber({ n: '1700000000000' }, 'n')).toBe(1700000000000);
    expect(headerNumber({ n: 'soon' }, 'n')).toBeUndefined();
    expect(headerNumber({ n: '' }, 'n')).toBeUndefined();
  });

  it('writes CloudEvents binary-mode headers and reads them back', () => {
    const time = new Date('2026-11-22T10:00:00.000Z');
    const headers = cloudEventHeaders({
      id: 'e1',
      source: '/claude-pipeline/ingest',
      type: 'claude-pipeline.event.v1',
      time,
    });
    expect(headers).toEqual({
      ce_specversion: '1.0',
      ce_id: 'e1',
      ce_source: '/claude-pipeline/ingest',
      ce_type: 'claude-pipeline.event.v1',
      ce_time: '2026-11-22T10:00:00.000Z',
      'content-type': 'application/json',
    });
    expect(readCloudEvent(headers)).toEqual({
      id: 'e1',
      source: '/claude-pipeline/ingest',
      type: 'claude-pipeline.event.v1',
      time,
      contentType: 'application/json',
    });
  });

  it('does not read an event without the spec version or a required attribute', () => {
    expect(readCloudEvent({ ce_id: 'e1', ce_source: 's', ce_type: 't' })).toBeUndefined();
    expect(readCloudEvent({ ce_specversion: '1.0', ce_source: 's', ce_type: 't' })).toBeUndefined();
  });
});
