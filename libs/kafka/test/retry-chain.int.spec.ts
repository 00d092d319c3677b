import type { Admin, IHeaders, Kafka, Producer } from 'kafkajs';
import { testKafka, uniqueName, waitFor } from '@claude-pipeline/testing';
import {
  ClassifiedError,
  createBatchingProducer,
  createConcurrentConsumer,
  createRetryChain,
  DLQ,
  headerString,
  InvalidRecordError,
  RETRY,
  retryPolicy,
  topicNames,
  waitForTopics,
  type ConcurrentConsumer,
  type ConsumedRecord,
  type TopicNames,
} from '../src/index.ts';

interface Attempt {
  at: number;
  topic: string;
  attemptHeader: string | undefined;
}

describe('retry chain and DLQ (real broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let raw: Producer;
  const consumers: ConcurrentConsumer[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    raw = kafka.producer({ idempotent: true });
    await Promise.all([admin.connect(), raw.connect()]);
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.abort().catch(() => undefined)));
  });

  afterAll(async () => {
    await Promise.all([admin.disconnect(), raw.disconnect()]);
  });

  async function topicsFor(stages: number, partitions = 1): Promise<TopicNames> {
    const names = topicNames(uniqueName('rc').replace(/-/g, '_'));
    const topics = [
      names.jobs,
      names.dlq('claude-worker'),
      ...Array.from({ length: stages }, (_, i) => names.retry('claude-worker', i + 1)),
    ];
    await admin.createTopics({
      waitForLeaders: false,
      topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    });
    await waitForTopics(admin, topics);
    return names;
  }

  async function readAll(topic: string, count: number) {
    const consumer = kafka.consumer({ groupId: uniqueName('reader') });
    const records: {
      key: string;
      value: Buffer | null;
      headers: Record<string, string>;
      /** The headers as kafkajs decoded them: Buffers, an array for a repeated header. */
      raw: IHeaders;
    }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        records.push({
          key: message.key?.toString() ?? '',
          value: message.value,
          headers,
          raw: message.headers ?? {},
        });
      },
    });
    try {
      await waitFor(() => records.length >= count, {
        timeoutMs: 20_000,
        description: `${count} records on ${topic}`,
      });
    } finally {
      await consumer.disconnect();
    }
    return records;
  }

  it('retries with stage delays, dead-letters what keeps failing, defers throttled records without spending an attempt', async () => {
    const names = await topicsFor(2);
    const stageDelays = [500, 1000];
    const attempts = new Map<string, Attempt[]>();
    const succeeded = new Set<string>();
    const producer = createBatchingProducer({ producer: raw });
    const chain = createRetryChain({
      service: 'claude-worker',
      names,
      policy: retryPolicy(stageDelays, { maxInProcessDeferralMs: 200 }),
      producer,
      handler: async (record: ConsumedRecord) => {
        const key = record.key!.toString();
        const list = attempts.get(key) ?? [];
        list.push({
          at: Date.now(),
          topic: record.topic,
          attemptHeader: headerString(record.headers, RETRY.attempt),
        });
        attempts.set(key, list);
        let body: { kind: string };
        try {
          body = JSON.parse(record.value!.toString()) as { kind: string };
        } catch (cause) {
          throw new InvalidRecordError('undecodable record: not JSON', { cause });
        }
        if (body.kind === 'flaky' && list.length <= 2) throw new Error('upstream 503');
        if (body.kind === 'doomed') throw new Error('upstream 500, always');
        if (body.kind === 'invalid') throw new InvalidRecordError('schema: max_tokens missing');
        if (body.kind === 'throttled' && list.length === 1) {
          throw new ClassifiedError('throttled', '429 rate_limit_error', { retryAfterMs: 700 });
        }
        succeeded.add(key);
      },
    });
    const consumer = createConcurrentConsumer({
      kafka,
      groupId: uniqueName('worker'),
      topics: [names.jobs, ...chain.stageTopics],
      handler: chain.handler,
      notBefore: chain.notBefore,
      commitIntervalMs: 50,
    });
    consumers.push(consumer);

    const send = (key: string, value: string, extra: IHeaders = {}) => ({
      key,
      value,
      headers: { 'x-custom': `h-${key}`, 'correlation-id': `c-${key}`, ...extra },
    });
    // A repeated header and a header value that is not UTF-8: both must reach the DLQ as they
    // were, through the retry stages too.
    const repeated = [Buffer.from('one'), Buffer.from([0xfe, 0x00, 0x01]), Buffer.from('three')];
    const binary = Buffer.from([0xff, 0x00, 0x80, 0xc3, 0x28, 0xe2, 0x82]);
    const odd = { 'x-repeated': repeated, 'x-binary': binary };
    await raw.send({
      topic: names.jobs,
      acks: -1,
      messages: [
        send('flaky', '{"kind":"flaky"}'),
        send('doomed', '{"kind":"doomed"}', odd),
        send('invalid', '{"kind":"invalid"}'),
        send('throttled', '{"kind":"throttled"}'),
        send('poison', '\u0000\u00ff not json', odd),
        send('ok', '{"kind":"ok"}'),
      ],
    });
    await consumer.start();

    await waitFor(
      () => succeeded.has('flaky') && succeeded.has('throttled') && succeeded.has('ok'),
      {
        timeoutMs: 20_000,
        description: 'flaky, throttled and ok to succeed',
      },
    );

    // A transient failure walks the stages, each no earlier than its delay, with attempt headers.
    const flaky = attempts.get('flaky')!;
    expect(flaky.map((a) => a.topic)).toEqual([
      names.jobs,
      names.retry('claude-worker', 1),
      names.retry('claude-worker', 2),
    ]);
    expect(flaky.map((a) => a.attemptHeader)).toEqual([undefined, '1', '2']);
    expect(flaky[1]!.at - flaky[0]!.at).toBeGreaterThanOrEqual(stageDelays[0]!);
    expect(flaky[2]!.at - flaky[1]!.at).toBeGreaterThanOrEqual(stageDelays[1]!);

    // A 700 ms throttle is longer than the 200 ms in-process deferral: it is parked in the
    // first stage whose delay covers it (stage 2, 1000 ms) and spends no attempt.
    const throttled = attempts.get('throttled')!;
    expect(throttled.map((a) => a.topic)).toEqual([names.jobs, names.retry('claude-worker', 2)]);
    expect(throttled[1]!.attemptHeader).toBe('0');
    expect(throttled[1]!.at - throttled[0]!.at).toBeGreaterThanOrEqual(1000);

    // Dead letters: the always-failing one after the last stage, invalid and poison at once.
    const dlq = await readAll(names.dlq('claude-worker'), 3);
    const byKey = new Map(dlq.map((r) => [r.key, r]));
    expect([...byKey.keys()].sort()).toEqual(['doomed', 'invalid', 'poison']);
    const doomed = byKey.get('doomed')!;
    expect(doomed.value!.toString()).toBe('{"kind":"doomed"}');
    expect(doomed.headers).toMatchObject({
      'x-custom': 'h-doomed',
      'correlation-id': 'c-doomed',
      [DLQ.errorClass]: 'transient',
      [DLQ.errorMessage]: 'upstream 500, always',
      [DLQ.retriable]: 'true',
      [DLQ.stage]: 'retry.2',
      [RETRY.originalTopic]: names.jobs,
      [RETRY.originalPartition]: '0',
      [RETRY.attempt]: '3',
    });
    expect(attempts.get('doomed')).toHaveLength(3);
    expect(byKey.get('invalid')!.headers).toMatchObject({
      [DLQ.errorClass]: 'invalid',
      [DLQ.stage]: 'source',
      [DLQ.retriable]: 'false',
    });
    expect(attempts.get('invalid')).toHaveLength(1);
    // Poison keeps its exact bytes, and the consumer kept going (ok succeeded after it).
    expect(byKey.get('poison')!.value!.equals(Buffer.from('\u0000\u00ff not json'))).toBe(true);
    expect(byKey.get('poison')!.headers[DLQ.errorMessage]).toMatch(/undecodable/);
    expect(attempts.get('poison')).toHaveLength(1);

    // Every value of the repeated header, in order, and the binary value, byte for byte (as
    // Buffers, not strings) — after the two retry stages and in a dead letter at once.
    for (const key of ['doomed', 'poison']) {
      const got = byKey.get(key)!.raw;
      expect({ key, repeated: got['x-repeated'], binary: got['x-binary'] }).toEqual({
        key,
        repeated,
        binary,
      });
    }

    // The consumer keeps going after the poison record: records produced only now, after it
    // reached the DLQ (so in a later fetch than the poison's), are processed as well.
    await raw.send({
      topic: names.jobs,
      acks: -1,
      messages: [send('after-1', '{"kind":"ok"}'), send('after-2', '{"kind":"ok"}')],
    });
    await waitFor(() => succeeded.has('after-1') && succeeded.has('after-2'), {
      timeoutMs: 10_000,
      description: 'records produced after the poison was dead-lettered',
    });
    expect(consumer.halted).toBe(false);
  });

  it('a record waiting out a 30 s delay on one partition does not hold up another partition', async () => {
    const names = await topicsFor(1, 2);
    const stageTopic = names.retry('claude-worker', 1);
    const handled: { key: string; at: number }[] = [];
    const producer = createBatchingProducer({ producer: raw });
    const chain = createRetryChain({
      service: 'claude-worker',
      names,
      policy: retryPolicy([30_000]),
      producer,
      handler: async (record) => void handled.push({ key: record.key!.toString(), at: Date.now() }),
    });
    const consumer = createConcurrentConsumer({
      kafka,
      groupId: uniqueName('worker'),
      topics: [names.jobs, ...chain.stageTopics],
      handler: chain.handler,
      notBefore: chain.notBefore,
    });
    consumers.push(consumer);
    await consumer.start();
    const now = Date.now();
    await raw.send({
      topic: stageTopic,
      acks: -1,
      messages: [
        {
          key: 'late',
          value: 'x',
          partition: 0,
          headers: { [RETRY.notBefore]: String(now + 30_000), [RETRY.attempt]: '1' },
        },
        {
          key: 'due',
          value: 'y',
          partition: 1,
          headers: { [RETRY.notBefore]: String(now), [RETRY.attempt]: '1' },
        },
      ],
    });
    const sent = Date.now();
    await waitFor(() => handled.some((h) => h.key === 'due'), {
      timeoutMs: 10_000,
      description: 'the due record',
    });
    expect(handled.find((h) => h.key === 'due')!.at - sent).toBeLessThan(2000);
    expect(handled.some((h) => h.key === 'late')).toBe(false);
  });
});
