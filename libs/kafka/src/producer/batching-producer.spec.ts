import type { Producer, ProducerBatch, RecordMetadata } from 'kafkajs';
import { createBatchingProducer, recordBytes } from './batching-producer.ts';

/** A kafkajs producer that records each request and answers as told. */
function fakeProducer(answer: (batch: ProducerBatch) => RecordMetadata[] | Error = () => []) {
  const requests: ProducerBatch[] = [];
  const producer = {
    sendBatch: async (batch: ProducerBatch) => {
      requests.push(batch);
      const result = answer(batch);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as Producer;
  return { producer, requests };
}

const protocolError = (type: string) => Object.assign(new Error(type), { type, retriable: false });
const count = (batch: ProducerBatch) =>
  (batch.topicMessages ?? []).reduce((n, t) => n + t.messages.length, 0);

describe('createBatchingProducer', () => {
  it('estimates a record from its key, value and headers', () => {
    const small = recordBytes({ key: 'k', value: 'v' });
    const large = recordBytes({
      key: 'k',
      value: Buffer.alloc(1000),
      headers: { h: 'x'.repeat(50) },
    });
    expect(large - small).toBeGreaterThanOrEqual(999 + 51);
  });

  it('keeps each request under maxRequestBytes and sends a large record alone', async () => {
    const { producer, requests } = fakeProducer();
    const batching = createBatchingProducer({
      producer,
      lingerMs: 5,
      maxRequestBytes: 3_000,
      isolateRecordBytes: 2_000,
    });
    await Promise.all([
      ...Array.from({ length: 5 }, () => batching.send({ topic: 't', value: Buffer.alloc(900) })),
      batching.send({ topic: 't', value: Buffer.alloc(2_500) }),
      batching.send({ topic: 't', value: Buffer.alloc(10) }),
    ]);
    expect(requests.map(count)).toEqual([3, 2, 1, 1]);
  });

  it('renews the producer once after a request of several records was rejected for one, then sends them one by one', async () => {
    let renewed = 0;
    const first = fakeProducer((b) => (count(b) > 1 ? protocolError('MESSAGE_TOO_LARGE') : []));
    const second = fakeProducer((b) =>
      b.topicMessages?.[0]?.messages[0]?.value === 'bad' ? protocolError('MESSAGE_TOO_LARGE') : [],
    );
    const batching = createBatchingProducer({
      producer: first.producer,
      lingerMs: 5,
      renew: async () => {
        renewed += 1;
        return second.producer;
      },
    });
    const results = await Promise.allSettled(
      ['a', 'bad', 'c'].map((value) => batching.send({ topic: 't', value })),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(renewed).toBe(1);
    expect(batching.renewals).toBe(1);
    expect(second.requests.map((b) => b.topicMessages?.[0]?.messages[0]?.value)).toEqual([
      'a',
      'bad',
      'c',
    ]);
  });

  it('after OUT_OF_ORDER_SEQUENCE_NUMBER sends the same request again from a renewed producer', async () => {
    const broken = fakeProducer(() => protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER'));
    const fresh = fakeProducer();
    const batching = createBatchingProducer({
      producer: broken.producer,
      lingerMs: 5,
      renew: async () => fresh.producer,
    });
    await expect(
      Promise.all([
        batching.send({ topic: 't', value: '1' }),
        batching.send({ topic: 't', value: '2' }),
      ]),
    ).resolves.toHaveLength(2);
    expect(fresh.requests.map(count)).toEqual([2]);
  });

  it('without renew, a sequence error reaches the callers (and is not retried forever)', async () => {
    const broken = fakeProducer(() => protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER'));
    const batching = createBatchingProducer({ producer: broken.producer, lingerMs: 5 });
    await expect(batching.send({ topic: 't', value: '1' })).rejects.toMatchObject({
      type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    });
    expect(broken.requests).toHaveLength(1);
  });
});
