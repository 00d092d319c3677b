import { expectRejection } from '../test/expect-rejection.ts';
import { assertRawBody, readHeader, requireHeader } from './headers.ts';

describe('headers', () => {
  it('are looked up case-insensitively', () => {
    expect(readHeader({ 'Webhook-ID': 'msg_1' }, 'webhook-id')).toBe('msg_1');
  });

  it('an absent header reads as undefined', () => {
    expect(readHeader({ other: 'x', 'webhook-id': undefined }, 'webhook-id')).toBeUndefined();
  });

  it('a one-element array is that value', () => {
    expect(readHeader({ 'webhook-id': ['msg_1'] }, 'webhook-id')).toBe('msg_1');
  });

  it('a header given twice (array) is malformed', () => {
    expectRejection(
      () => readHeader({ 'webhook-id': ['a', 'b'] }, 'webhook-id'),
      'malformed_header',
      'webhook-id',
    );
  });

  it('a header under two spellings is malformed', () => {
    expectRejection(
      () => readHeader({ 'webhook-id': 'a', 'Webhook-Id': 'a' }, 'webhook-id'),
      'malformed_header',
      'webhook-id',
    );
  });

  it('a non-string value is malformed', () => {
    const headers = { 'webhook-id': 42 } as unknown as Record<string, string>;
    expectRejection(() => readHeader(headers, 'webhook-id'), 'malformed_header', 'webhook-id');
  });

  it('a required header that is absent is missing', () => {
    expectRejection(() => requireHeader({}, 'webhook-id'), 'missing_header', 'webhook-id');
  });

  it('a required header that is blank is missing', () => {
    expectRejection(
      () => requireHeader({ 'webhook-id': '  ' }, 'webhook-id'),
      'missing_header',
      'webhook-id',
    );
  });

  it('a body that is not bytes is a programming error', () => {
    expect(() => assertRawBody('{"a":1}')).toThrow(TypeError);
    expect(() => assertRawBody({ a: 1 })).toThrow(TypeError);
    expect(() => assertRawBody(new Uint8Array(0))).not.toThrow();
  });
});
