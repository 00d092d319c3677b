import type { Producer, ProducerBatch, RecordMetadata } from 'kafkajs';
import { createBatchingProducer } from './batching-producer.ts';
import { recordBytes } from './record-bytes.ts';

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

  it('counts a repeated header name once per value', () => {
    const once = recordBytes({ value: 'v', headers: { 'x-header': 'ab' } });
    const thrice = recordBytes({ value: 'v', headers: { 'x-header': ['ab', 'ab', 'ab'] } });
    // Each extra value costs at least its own bytes and the name written again.
    expect(thrice - once).toBeGreaterThanOrEqual(2 * ('x-header'.length + 2));
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

describe('createBatchingProducer: flush triggers and error routing (fake timers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Whether a promise has settled yet (checked after advancing the fake clock). */
  function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    return { promise, settled: () => settled };
  }

  const values = (batch: ProducerBatch | undefined) =>
    (batch?.topicMessages ?? []).map((t) => [t.topic, t.messages.map((m) => m.value)]);

  it('sends lingerMs after the FIRST queued record (later ones do not restart the wait), all in one request', async () => {
    const { producer, requests } = fakeProducer();
    const batching = createBatchingProducer({ producer, lingerMs: 50, maxBatchRecords: 100 });
    const a = tracked(batching.send({ topic: 't', value: 'a' }));
    await jest.advanceTimersByTimeAsync(30);
    const b = tracked(batching.send({ topic: 'u', value: 'b' }));
    await jest.advanceTimersByTimeAsync(19);
    expect(requests).toHaveLength(0);
    expect(batching.queued).toBe(2);
    expect(a.settled() || b.settled()).toBe(false);

    await jest.advanceTimersByTimeAsync(1);
    expect(requests).toHaveLength(1);
    expect(values(requests[0])).toEqual([
      ['t', ['a']],
      ['u', ['b']],
    ]);
    expect(requests[0]?.acks).toBe(-1);
    await expect(Promise.all([a.promise, b.promise])).resolves.toHaveLength(2);

    // The next record starts a wait of its own.
    const c = tracked(batching.send({ topic: 't', value: 'c' }));
    await jest.advanceTimersByTimeAsync(49);
    expect(requests).toHaveLength(1);
    expect(c.settled()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(values(requests[1])).toEqual([['t', ['c']]]);
    await expect(c.promise).resolves.toMatchObject({ topicName: 't' });
  });

  it('sends as soon as maxBatchRecords are queued, without waiting out the linger; the rest waits for its own', async () => {
    const { producer, requests } = fakeProducer();
    const batching = createBatchingProducer({ producer, lingerMs: 10_000, maxBatchRecords: 3 });
    const sends = ['1', '2', '3', '4'].map((value) =>
      tracked(batching.send({ topic: 't', value })),
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(requests.map(count)).toEqual([3]);
    expect(sends.map((s) => s.settled())).toEqual([true, true, true, false]);
    expect(batching.queued).toBe(1);

    await jest.advanceTimersByTimeAsync(9_999);
    expect(requests.map(count)).toEqual([3]);
    await jest.advanceTimersByTimeAsync(1);
    expect(requests.map(count)).toEqual([3, 1]);
    expect(values(requests[1])).toEqual([['t', ['4']]]);
    await expect(sends[3]!.promise).resolves.toBeDefined();
  });

  it('a failed request rejects its own callers only: the callers of the next request get their acks', async () => {
    const down = Object.assign(new Error('Connection error: ECONNREFUSED'), { retriable: true });
    let calls = 0;
    const { producer, requests } = fakeProducer(() => (++calls === 1 ? down : []));
    const batching = createBatchingProducer({ producer, lingerMs: 10_000, maxBatchRecords: 2 });
    const results = Promise.allSettled(
      ['a', 'b', 'c', 'd'].map((value) => batching.send({ topic: 't', value })),
    );
    // Both requests went out on the size trigger: no timer needed.
    await jest.advanceTimersByTimeAsync(0);
    expect(requests.map(values)).toEqual([[['t', ['a', 'b']]], [['t', ['c', 'd']]]]);
    const settled = await results;
    expect(settled.map((r) => r.status)).toEqual([
      'rejected',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect(settled[0]).toMatchObject({ reason: down });
    expect(settled[1]).toMatchObject({ reason: down });
  });

  it("each caller gets its own partition's ack from a request spanning partitions and topics", async () => {
    const { producer } = fakeProducer(() => [
      { topicName: 't', partition: 0, errorCode: 0, baseOffset: '10' },
      { topicName: 't', partition: 1, errorCode: 0, baseOffset: '20' },
      { topicName: 'u', partition: 0, errorCode: 0, baseOffset: '30' },
    ]);
    const batching = createBatchingProducer({ producer, lingerMs: 5 });
    const acks = Promise.all([
      batching.send({ topic: 't', partition: 1, value: 'x' }),
      batching.send({ topic: 'u', partition: 0, value: 'y' }),
      batching.send({ topic: 't', partition: 0, value: 'z' }),
    ]);
    await jest.advanceTimersByTimeAsync(5);
    expect((await acks).map((m) => [m.topicName, m.partition, m.baseOffset])).toEqual([
      ['t', 1, '20'],
      ['u', 0, '30'],
      ['t', 0, '10'],
    ]);
  });

  it('without renew, a record the broker rejects fails only its own caller: its neighbours are sent again one by one', async () => {
    const { producer, requests } = fakeProducer((b) =>
      (b.topicMessages ?? []).some((t) => t.messages.some((m) => m.value === 'bad'))
        ? protocolError('MESSAGE_TOO_LARGE')
        : [],
    );
    const batching = createBatchingProducer({ producer, lingerMs: 5 });
    const results = Promise.allSettled(
      ['a', 'bad', 'c'].map((value) => batching.send({ topic: 't', value })),
    );
    await jest.advanceTimersByTimeAsync(5);
    const settled = await results;
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(settled[1]).toMatchObject({ reason: { type: 'MESSAGE_TOO_LARGE' } });
    expect(requests.map(count)).toEqual([3, 1, 1, 1]);
  });
});
