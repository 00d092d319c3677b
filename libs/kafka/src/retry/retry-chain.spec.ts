import { DLQ_TRUNCATED, DLQ_VALUE_BYTES } from '../headers.ts';
import { recordBytes } from '../producer/batching-producer.ts';
import { fitDeadLetter } from './retry-chain.ts';

describe('fitDeadLetter', () => {
  const headers = { 'pipeline-error-message': 'Unexpected token', 'correlation-id': 'c-1' };

  it('keeps a record that fits byte for byte, without a marker', () => {
    const value = Buffer.from('{"a":1}');
    const letter = fitDeadLetter('k', value, headers, 10_000);
    expect(letter.value).toBe(value);
    expect(letter.headers).toBe(headers);
  });

  it('cuts a value that does not fit, keeping its start, every header and the original size', () => {
    const value = Buffer.alloc(50_000, 'z');
    const letter = fitDeadLetter('k', value, headers, 10_000);
    expect(letter.headers).toMatchObject({
      ...headers,
      [DLQ_TRUNCATED]: 'true',
      [DLQ_VALUE_BYTES]: '50000',
    });
    expect(letter.value?.length).toBeGreaterThan(9_000);
    expect(value.subarray(0, letter.value?.length).equals(letter.value as Buffer)).toBe(true);
    expect(
      recordBytes({ key: 'k', value: letter.value, headers: letter.headers }),
    ).toBeLessThanOrEqual(10_000);
  });

  it('with no room at all keeps the marker and an empty value', () => {
    const letter = fitDeadLetter('k', Buffer.alloc(100), headers, 0);
    expect(letter.value?.length).toBe(0);
    expect(letter.headers[DLQ_VALUE_BYTES]).toBe('100');
  });
});
