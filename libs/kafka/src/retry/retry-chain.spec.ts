import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { ConsumedRecord } from '../consumer/concurrent-consumer.ts';
import { DLQ, DLQ_TRUNCATED, DLQ_VALUE_BYTES, RETRY } from '../headers.ts';
import type { BatchingProducer, OutgoingRecord } from '../producer/batching-producer.ts';
import { recordBytes } from '../producer/record-bytes.ts';
import { topicNames } from '../topics/names.ts';
import { InvalidRecordError, retryPolicy } from './policy.ts';
import { createRetryChain, fitDeadLetter } from './retry-chain.ts';

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

describe('createRetryChain: the original headers, as they are', () => {
  const names = topicNames('unit');
  /** Not UTF-8 (0xff, a lone continuation byte, a truncated sequence): a string would mangle it. */
  const binary = Buffer.from([0xff, 0x00, 0x80, 0xc3, 0x28, 0xe2, 0x82]);
  const repeated = [Buffer.from('first'), Buffer.from([0xfe, 0x01]), Buffer.from('third')];
  const value = Buffer.from([0x00, 0xff, 0x7b, 0x22]);

  /** A record as kafkajs hands it over: a repeated header is an array, every value a Buffer. */
  const consumed = (): ConsumedRecord => ({
    topic: names.jobs,
    partition: 2,
    offset: '41',
    key: Buffer.from('key-1'),
    value,
    headers: { 'x-repeated': repeated, 'x-binary': binary, 'correlation-id': Buffer.from('c-1') },
    timestamp: '0',
    traceContext: ROOT_CONTEXT,
  });

  async function routed(error: Error): Promise<OutgoingRecord> {
    const sent: OutgoingRecord[] = [];
    const producer: BatchingProducer = {
      send: async (record) => {
        sent.push(record);
        return { topicName: record.topic, partition: 0, errorCode: 0 };
      },
      flush: async () => undefined,
      queued: 0,
    };
    const chain = createRetryChain({
      service: 'claude-worker',
      names,
      policy: retryPolicy([1000]),
      producer,
      handler: async () => {
        throw error;
      },
    });
    await chain.handler(consumed());
    expect(sent).toHaveLength(1);
    return sent[0]!;
  }

  /** Header values as bytes, so a string where a Buffer was fails as much as other bytes. */
  const bytesOf = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(bytesOf) : Buffer.isBuffer(v) ? [...v] : `not a Buffer: ${String(v)}`;

  it('a dead letter keeps every value of a repeated header, in order, and binary values byte for byte', async () => {
    const letter = await routed(new InvalidRecordError('schema'));
    expect(letter.topic).toBe(names.dlq('claude-worker'));
    expect(letter.key).toEqual(Buffer.from('key-1'));
    expect(letter.value).toBe(value);
    expect(bytesOf(letter.headers?.['x-repeated'])).toEqual(repeated.map((b) => [...b]));
    expect(bytesOf(letter.headers?.['x-binary'])).toEqual([...binary]);
    expect(bytesOf(letter.headers?.['correlation-id'])).toEqual([...Buffer.from('c-1')]);
    expect(letter.headers).toMatchObject({
      [DLQ.errorClass]: 'invalid',
      [RETRY.originalOffset]: '41',
    });
  });

  it('so does a record sent to a retry stage', async () => {
    const retry = await routed(new Error('upstream 503'));
    expect(retry.topic).toBe(names.retry('claude-worker', 1));
    expect(bytesOf(retry.headers?.['x-repeated'])).toEqual(repeated.map((b) => [...b]));
    expect(bytesOf(retry.headers?.['x-binary'])).toEqual([...binary]);
    expect(retry.headers).toMatchObject({ [RETRY.attempt]: '1', [RETRY.stage]: '1' });
  });
});
