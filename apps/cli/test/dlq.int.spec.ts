import type { Admin, Consumer, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import {
  buildTopicCatalog,
  CORRELATION_ID,
  DLQ,
  GENERATION,
  headerString,
  provisionTopics,
  RETRY,
} from '@claude-pipeline/kafka';
import { sampleEventRecord, sampleJobRecord } from '@claude-pipeline/schemas/testing';
import { LOCAL_BROKERS, testKafka, uniqueName, waitFor } from '@claude-pipeline/testing';
import { runCapture } from './support/capture-io.ts';

/**
 * `pipeline dlq list|show|redrive` on the real broker: dead letters written with the headers
 * the retry chain puts on them, filtered, shown and redriven to their source topic with the
 * generation raised (header and JSON body).
 */
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const HOUR = 3_600_000;

describe('pipeline dlq (real broker)', () => {
  const prefix = uniqueName('cli-dlq');
  const catalog = buildTopicCatalog({ prefix, partitions: 2, auxPartitions: 1 });
  const names = catalog.names;
  const env = { KAFKA_BROKERS: LOCAL_BROKERS.join(','), KAFKA_TOPIC_PREFIX: prefix };
  const now = Date.now();
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];
  const refs: Record<'a' | 'b' | 'c' | 'd', string> = { a: '', b: '', c: '', d: '' };

  function deadLetter(options: {
    errorClass: string;
    message: string;
    failedAt: number;
    source?: string;
    correlationId: string;
  }): Record<string, string> {
    return {
      ce_specversion: '1.0',
      ce_id: `ce-${options.correlationId}`,
      ce_source: 'test',
      ce_type: 'claude-pipeline.job.v1',
      [CORRELATION_ID]: options.correlationId,
      traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01`,
      [RETRY.attempt]: '3',
      [RETRY.firstFailureAt]: String(options.failedAt - 60_000),
      ...(options.source === undefined
        ? {}
        : {
            [RETRY.originalTopic]: options.source,
            [RETRY.originalPartition]: '1',
            [RETRY.originalOffset]: '40',
          }),
      [DLQ.errorClass]: options.errorClass,
      [DLQ.errorMessage]: options.message,
      [DLQ.retriable]: String(options.errorClass === 'transient'),
      [DLQ.stage]: options.errorClass === 'transient' ? 'retry.3' : 'source',
      [DLQ.failedAt]: String(options.failedAt),
      [DLQ.service]: 'claude-worker',
    };
  }

  async function put(
    topic: string,
    key: string,
    value: string | Buffer,
    headers: Record<string, string>,
  ) {
    const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value, headers }] });
    return `${topic}:${meta?.partition}:${meta?.baseOffset}`;
  }

  async function readAll(topic: string, count: number): Promise<KafkaMessage[]> {
    const got: KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('cli-dlq-check'), maxWaitTimeInMs: 100 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
    await waitFor(() => got.length >= count, { description: `${count} records on ${topic}` });
    return got;
  }

  const header = (headers: IHeaders | undefined, name: string) => headerString(headers, name);

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    producer = kafka.producer({ idempotent: true });
    await Promise.all([admin.connect(), producer.connect()]);
    const report = await provisionTopics(admin, catalog.topics);
    expect(report.mismatches).toEqual([]);

    const worker = names.dlq('claude-worker');
    refs.a = await put(
      worker,
      'job_a',
      JSON.stringify(sampleJobRecord({ job_id: 'job_a', correlation_id: 'corr-a' })),
      deadLetter({
        errorClass: 'transient',
        message: 'upstream 503',
        failedAt: now - HOUR,
        source: names.jobs,
        correlationId: 'corr-a',
      }),
    );
    refs.b = await put(
      worker,
      'job_b',
      JSON.stringify(sampleJobRecord({ job_id: 'job_b', correlation_id: 'corr-b' })),
      deadLetter({
        errorClass: 'invalid',
        message: 'max_tokens too large for model',
        failedAt: now - 3 * HOUR,
        source: names.jobs,
        correlationId: 'corr-b',
      }),
    );
    refs.c = await put(
      worker,
      'poison',
      Buffer.from([0xff, 0x00, 0x7b]),
      deadLetter({
        errorClass: 'transient',
        message: 'no source header',
        failedAt: now - 10 * 60_000,
        correlationId: 'corr-c',
      }),
    );
    const event = sampleEventRecord({
      job: sampleJobRecord({ job_id: 'job_d', correlation_id: 'corr-d' }),
    });
    refs.d = await put(
      names.dlq('dedupe'),
      'acme/delivery-72d1',
      JSON.stringify(event),
      deadLetter({
        errorClass: 'invalid',
        message: 'schema: /job/max_tokens',
        failedAt: now - 30 * 60_000,
        source: names.events,
        correlationId: 'corr-d',
      }),
    );
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    await admin.deleteTopics({ topics: catalog.topics.map((t) => t.name) }).catch(() => undefined);
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  const list = async (...flags: string[]) => {
    const run = await runCapture(['dlq', 'list', '--json', ...flags], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return (JSON.parse(run.stdout) as { records: { ref: string }[] }).records.map((r) => r.ref);
  };

  it('lists every dead letter of every service, oldest first, and filters them', async () => {
    expect(await list()).toEqual([refs.b, refs.a, refs.d, refs.c]);
    expect(await list('--error-class', 'invalid')).toEqual([refs.b, refs.d]);
    expect(await list('--service', 'claude-worker', '--error-class', 'transient')).toEqual([
      refs.a,
      refs.c,
    ]);
    expect(await list('--source', 'jobs')).toEqual([refs.b, refs.a]);
    expect(await list('--source', names.events)).toEqual([refs.d]);
    expect(await list('--since', '2h')).toEqual([refs.a, refs.d, refs.c]);
    expect(await list('--until', new Date(now - 2 * HOUR).toISOString())).toEqual([refs.b]);
    expect(await list('--service', 'dedupe', '--service', 'notifier')).toEqual([refs.d]);
    expect(await list('--limit', '1')).toEqual([refs.b]);
    expect(await list('--error-class', 'account')).toEqual([]);
  });

  it('the table names each record by its ref, with class, stage, source and job', async () => {
    const run = await runCapture(['dlq', 'list', '--service', 'claude-worker'], { env });
    expect(run.code).toBe(0);
    const line = run.stdout.split('\n').find((l) => l.startsWith(refs.a));
    expect(line).toMatch(
      new RegExp(
        `transient\\s+retry\\.3\\s+${names.jobs.replace(/\./g, '\\.')}\\s+0\\s+job_a\\s+upstream 503`,
      ),
    );
    expect(run.stdout).toContain(`3 dead letters: ${names.dlq('claude-worker')} 3`);
  });

  it('show prints one record in full: error, origin, headers, key and value', async () => {
    const json = await runCapture(['dlq', 'show', refs.a, '--json'], { env });
    expect(json.code).toBe(0);
    const [record] = (JSON.parse(json.stdout) as { records: Record<string, unknown>[] }).records;
    expect(record).toMatchObject({
      ref: refs.a,
      error_class: 'transient',
      error_message: 'upstream 503',
      stage: 'retry.3',
      source_topic: names.jobs,
      correlation_id: 'corr-a',
      generation: 0,
      key: 'job_a',
      failed_at: new Date(now - HOUR).toISOString(),
    });
    expect((record?.['headers'] as Record<string, string>)[DLQ.errorClass]).toBe('transient');

    const text = await runCapture(['dlq', 'show', refs.a, refs.c], { env });
    expect(text.stdout).toContain('  error        transient: upstream 503  (stage retry.3)');
    expect(text.stdout).toContain(`  source       ${names.jobs} partition 1 offset 40`);
    expect(text.stdout).toContain('"job_id": "job_a"');
    expect(text.stdout).toContain('/wB7 (base64)');

    const missing = await runCapture(['dlq', 'show', `${names.dlq('claude-worker')}:0:999`], {
      env,
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`not found: ${names.dlq('claude-worker')}:0:999`);
  });

  it('redrive --dry-run sends nothing', async () => {
    const run = await runCapture(
      [
        'dlq',
        'redrive',
        '--service',
        'claude-worker',
        '--error-class',
        'transient',
        '--dry-run',
        '--json',
      ],
      { env },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      dry_run: true,
      matched: 2,
      records: [refs.a],
      skipped: [refs.c],
      by_topic: { [names.jobs]: 1 },
    });
    const offsets = await admin.fetchTopicOffsets(names.jobs);
    expect(offsets.every((p) => p.high === '0')).toBe(true);
  });

  it('redrive sends records back with correlation and trace kept, retry/DLQ headers gone, generation raised', async () => {
    const run = await runCapture(
      ['dlq', 'redrive', '--service', 'claude-worker', '--error-class', 'transient', '--json'],
      { env },
    );
    // The record without a source topic cannot go anywhere: reported, exit 1.
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      dry_run: false,
      matched: 2,
      redriven: 1,
      skipped: [refs.c],
      by_topic: { [names.jobs]: 1 },
      generation_raised_in_value: 1,
    });

    const [job] = await readAll(names.jobs, 1);
    expect(job?.key?.toString()).toBe('job_a');
    expect(header(job?.headers, CORRELATION_ID)).toBe('corr-a');
    expect(header(job?.headers, 'traceparent')).toMatch(new RegExp(`^00-${TRACE_ID}-`));
    expect(header(job?.headers, GENERATION)).toBe('1');
    for (const name of [
      DLQ.errorClass,
      DLQ.errorMessage,
      DLQ.failedAt,
      RETRY.attempt,
      RETRY.originalTopic,
    ]) {
      expect(header(job?.headers, name)).toBeUndefined();
    }
    const value = JSON.parse(job?.value?.toString() ?? '{}') as {
      job_id: string;
      generation: number;
    };
    expect(value).toMatchObject({ job_id: 'job_a', generation: 2 });
  });

  it('redrive by ref sends exactly those, each to its own source topic, with a summary', async () => {
    // On a terminal: progress bars on stderr (reading, then redriving), cleared at the end.
    const run = await runCapture(['dlq', 'redrive', refs.b, refs.d], { env, tty: true });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('reading dead letters [');
    expect(run.stderr).toContain('redriving [########################] 2/2 100%');
    expect(run.err.chunks.at(-1)).toBe('\r\x1b[2K');
    expect(run.stdout).toMatch(
      /redriven 2 of 2 dead letters → .*\.jobs 1, .*\.events 1 \(generation raised; in the value too for 2\)/,
    );

    const jobs = await readAll(names.jobs, 2);
    const b = jobs.find((m) => m.key?.toString() === 'job_b');
    expect(JSON.parse(b?.value?.toString() ?? '{}')).toMatchObject({
      job_id: 'job_b',
      generation: 2,
    });
    const [event] = await readAll(names.events, 1);
    expect(header(event?.headers, CORRELATION_ID)).toBe('corr-d');
    const eventValue = JSON.parse(event?.value?.toString() ?? '{}') as {
      job: { job_id: string; generation: number };
    };
    expect(eventValue.job).toMatchObject({ job_id: 'job_d', generation: 2 });
  });
});
