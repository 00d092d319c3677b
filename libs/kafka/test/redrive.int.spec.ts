import type { Admin, Kafka, Producer } from 'kafkajs';
import { testKafka, uniqueName, waitFor } from '@claude-pipeline/testing';
import {
  ClassifiedError,
  createBatchingProducer,
  createConcurrentConsumer,
  createRetryChain,
  DLQ,
  GENERATION,
  headerString,
  InvalidRecordError,
  listDlq,
  redrive,
  retryPolicy,
  topicNames,
  waitForTopics,
  type ConcurrentConsumer,
  type ConsumedRecord,
} from '../src/index.ts';

describe('DLQ list and redrive (real broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let raw: Producer;
  let consumer: ConcurrentConsumer | undefined;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    raw = kafka.producer({ idempotent: true });
    await Promise.all([admin.connect(), raw.connect()]);
  });

  afterAll(async () => {
    await consumer?.abort().catch(() => undefined);
    await Promise.all([admin.disconnect(), raw.disconnect()]);
  });

  it('lists dead letters by error class, source and time, and redrives the chosen ones to be processed again', async () => {
    const names = topicNames(uniqueName('rd').replace(/-/g, '_'));
    const dlqTopic = names.dlq('claude-worker');
    const topics = [names.jobs, dlqTopic];
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: 2, replicationFactor: 1 })),
    });
    await waitForTopics(admin, topics);

    let healthy = false;
    const processed: ConsumedRecord[] = [];
    const producer = createBatchingProducer({ producer: raw });
    const chain = createRetryChain({
      service: 'claude-worker',
      names,
      policy: retryPolicy([]), // no stages: a transient failure is dead-lettered at once too
      producer,
      handler: async (record) => {
        const value = record.value!.toString();
        if (!healthy && value.startsWith('bad')) throw new InvalidRecordError(`invalid: ${value}`);
        if (!healthy && value.startsWith('flaky'))
          throw new ClassifiedError('transient', 'upstream 503');
        processed.push(record);
      },
    });
    consumer = createConcurrentConsumer({
      kafka,
      groupId: uniqueName('worker'),
      topics: [names.jobs],
      handler: chain.handler,
      commitIntervalMs: 50,
    });
    await consumer.start();
    await raw.send({
      topic: names.jobs,
      acks: -1,
      messages: ['bad-1', 'bad-2', 'flaky-1', 'good-1'].map((v) => ({
        key: v,
        value: v,
        headers: {
          'correlation-id': `corr-${v}`,
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
      })),
    });
    await waitFor(() => processed.length === 1, { description: 'good-1 processed' });

    const all = await waitFor(
      async () => {
        const list = await listDlq(kafka, dlqTopic);
        return list.length === 3 ? list : undefined;
      },
      { description: '3 dead letters' },
    );
    expect(all.map((r) => r.value!.toString()).sort()).toEqual(['bad-1', 'bad-2', 'flaky-1']);
    expect(all.every((r) => r.sourceTopic === names.jobs)).toBe(true);

    const invalid = await listDlq(kafka, dlqTopic, { errorClass: 'invalid' });
    expect(invalid.map((r) => r.value!.toString()).sort()).toEqual(['bad-1', 'bad-2']);
    expect(await listDlq(kafka, dlqTopic, { source: 'elsewhere' })).toEqual([]);
    expect(await listDlq(kafka, dlqTopic, { since: Date.now() + 60_000 })).toEqual([]);
    expect(
      await listDlq(kafka, dlqTopic, { until: Date.now() + 60_000, errorClass: 'transient' }),
    ).toHaveLength(1);

    // The upstream is healthy again: redrive the invalid ones only.
    healthy = true;
    const result = await redrive(invalid, { producer });
    expect(result).toMatchObject({ redriven: 2, skipped: [], byTopic: { [names.jobs]: 2 } });
    await waitFor(() => processed.length === 3, { description: 'redriven records processed' });

    const again = processed.filter((r) => r.value!.toString().startsWith('bad'));
    expect(again).toHaveLength(2);
    for (const r of again) {
      const v = r.value!.toString();
      expect(headerString(r.headers, 'correlation-id')).toBe(`corr-${v}`);
      expect(headerString(r.headers, GENERATION)).toBe('1');
      expect(headerString(r.headers, DLQ.errorClass)).toBeUndefined();
      expect(headerString(r.headers, 'pipeline-retry-attempt')).toBeUndefined();
      // It continues its original trace.
      expect(headerString(r.headers, 'traceparent')).toMatch(
        /^00-0af7651916cd43dd8448eb211c80319c-/,
      );
    }
    // flaky-1 was not selected and stays in the DLQ.
    expect(processed.some((r) => r.value!.toString() === 'flaky-1')).toBe(false);
  });
});
