import type { RecordMetadata } from 'kafkajs';
import type { OutgoingRecord } from '@claude-pipeline/kafka';
import { PublishUnavailableError, RecordTooLargeError } from '../errors.ts';
import { createKafkaEventPublisher } from './event-publisher.ts';
import type { PreparedEvent } from './event-record.ts';

const event: PreparedEvent = {
  jobId: 'job-1',
  tenant: 'acme',
  correlationId: 'c',
  mode: 'realtime',
  key: 'acme:api:k',
  value: '{"x":1}',
  headers: { ce_id: '1' },
};

interface Pending {
  record: OutgoingRecord;
  resolve: (meta: RecordMetadata) => void;
  reject: (error: unknown) => void;
}

/** A batching producer whose sends settle when the test says so. */
function fakeProducer() {
  const sends: Pending[] = [];
  return {
    sends,
    send: (record: OutgoingRecord) =>
      new Promise<RecordMetadata>((resolve, reject) => {
        sends.push({ record, resolve, reject });
      }),
  };
}

const ack = { topicName: 't', partition: 0, errorCode: 0 };

describe('createKafkaEventPublisher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const publisherWith = (producer: ReturnType<typeof fakeProducer>, overrides = {}) =>
    createKafkaEventPublisher({
      producer,
      topic: 'p.events',
      timeoutMs: 1000,
      maxPending: 2,
      maxRecordBytes: 100,
      ...overrides,
    });

  it('sends key, value and headers to the topic and resolves on the ack', async () => {
    const producer = fakeProducer();
    const publisher = publisherWith(producer);
    const published = publisher.publish(event);
    expect(producer.sends[0]!.record).toEqual({
      topic: 'p.events',
      key: 'acme:api:k',
      value: '{"x":1}',
      headers: { ce_id: '1' },
    });
    expect(publisher.pending).toBe(1);
    producer.sends[0]!.resolve(ack);
    await expect(published).resolves.toBeUndefined();
    expect(publisher.pending).toBe(0);
  });

  it('fails with PublishUnavailableError when no ack comes within the timeout', async () => {
    const producer = fakeProducer();
    const publisher = publisherWith(producer);
    const published = publisher.publish(event);
    jest.advanceTimersByTime(1000);
    await expect(published).rejects.toBeInstanceOf(PublishUnavailableError);
    // The record is still in flight until Kafka settles it.
    expect(publisher.pending).toBe(1);
    producer.sends[0]!.reject(new Error('late'));
    await Promise.resolve();
    await Promise.resolve();
    expect(publisher.pending).toBe(0);
  });

  it('fails with PublishUnavailableError when the producer fails', async () => {
    const producer = fakeProducer();
    const published = publisherWith(producer).publish(event);
    producer.sends[0]!.reject(Object.assign(new Error('down'), { type: 'NETWORK_EXCEPTION' }));
    await expect(published).rejects.toBeInstanceOf(PublishUnavailableError);
  });

  it('maps a too-large answer of the broker to RecordTooLargeError', async () => {
    const producer = fakeProducer();
    const published = publisherWith(producer).publish(event);
    producer.sends[0]!.reject(Object.assign(new Error('big'), { type: 'MESSAGE_TOO_LARGE' }));
    await expect(published).rejects.toBeInstanceOf(RecordTooLargeError);
  });

  it('refuses a value over the byte limit without sending', async () => {
    const producer = fakeProducer();
    await expect(
      publisherWith(producer).publish({ ...event, value: 'é'.repeat(51) }),
    ).rejects.toBeInstanceOf(RecordTooLargeError);
    expect(producer.sends).toHaveLength(0);
  });

  it('fails at once when too many publishes wait for Kafka', async () => {
    const producer = fakeProducer();
    const publisher = publisherWith(producer);
    const first = publisher.publish(event);
    const second = publisher.publish(event);
    await expect(publisher.publish(event)).rejects.toBeInstanceOf(PublishUnavailableError);
    expect(producer.sends).toHaveLength(2);
    for (const send of producer.sends) send.resolve(ack);
    await Promise.all([first, second]);
  });

  it('records the produce duration and count on success', async () => {
    const producer = fakeProducer();
    const observe = jest.fn();
    const inc = jest.fn();
    let clock = 0;
    const publisher = publisherWith(producer, {
      metrics: { produceDuration: { observe }, produced: { inc } },
      now: () => clock,
    });
    const published = publisher.publish(event);
    clock = 25;
    producer.sends[0]!.resolve(ack);
    await published;
    expect(observe).toHaveBeenCalledWith({ topic: 'p.events' }, 0.025);
    expect(inc).toHaveBeenCalledWith({ topic: 'p.events' });
  });
});
