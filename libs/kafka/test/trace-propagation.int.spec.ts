/**
 * Each record continues its own trace, also when records of two traces share one produce
 * request or one transaction — with the telemetry setup the apps load (startTelemetry), only
 * the exporter swapped for an in-memory one. trace-propagation-import.int.spec.ts checks the
 * same in a child process started with the apps' `--import @claude-pipeline/telemetry/register`.
 */
import { context, trace, type Span } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { startTelemetry, type Telemetry } from '@claude-pipeline/telemetry';
import { createTestTopic, testKafka, uniqueName, waitFor } from '@claude-pipeline/testing';
import {
  createBatchingProducer,
  createConcurrentConsumer,
  tracedMessage,
  type ConcurrentConsumer,
} from '../src/index.ts';

describe('trace context per record (real broker)', () => {
  let telemetry: Telemetry;
  const exporter = new InMemorySpanExporter();
  let kafka: Kafka;
  let admin: Admin;
  let raw: Producer;
  const consumers: ConcurrentConsumer[] = [];

  beforeAll(async () => {
    telemetry = startTelemetry({
      serviceName: 'kafka-lib-test',
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
      handleSignals: false,
    });
    kafka = testKafka();
    admin = kafka.admin();
    raw = kafka.producer({ idempotent: true });
    await Promise.all([admin.connect(), raw.connect()]);
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    exporter.reset();
  });

  afterAll(async () => {
    await Promise.all([admin.disconnect(), raw.disconnect()]);
    await telemetry.shutdown();
  });

  const tracer = () => trace.getTracer('test');

  /** Runs fn inside a new root span; returns the span's trace id. */
  async function inNewTrace(name: string, fn: () => Promise<unknown>): Promise<string> {
    const span: Span = tracer().startSpan(name, { root: true });
    try {
      await context.with(trace.setSpan(context.active(), span), fn);
    } finally {
      span.end();
    }
    return span.spanContext().traceId;
  }

  /** Consumes `count` records, returning for each value the trace id seen in its handler. */
  async function consume(topic: string, count: number) {
    const seen = new Map<string, string>();
    const c = createConcurrentConsumer({
      kafka,
      groupId: uniqueName('g'),
      topics: [topic],
      handler: async (r) => {
        seen.set(r.value!.toString(), trace.getActiveSpan()!.spanContext().traceId);
      },
    });
    consumers.push(c);
    await c.start();
    await waitFor(() => seen.size === count, { description: `${count} records consumed` });
    return seen;
  }

  function spanOf(traceId: string, name: string): ReadableSpan | undefined {
    return exporter
      .getFinishedSpans()
      .find((s) => s.spanContext().traceId === traceId && s.name === name);
  }

  it('two records from two traces in ONE batched produce request each continue their own trace', async () => {
    const topic = await createTestTopic(admin, { partitions: 1 });
    const sendBatch = jest.spyOn(raw, 'sendBatch');
    const producer = createBatchingProducer({ producer: raw, lingerMs: 100 });
    let sends: Promise<unknown>[] = [];
    const traceA = await inNewTrace(
      'request A',
      async () => void sends.push(producer.send({ topic, value: 'a' })),
    );
    const traceB = await inNewTrace(
      'request B',
      async () => void sends.push(producer.send({ topic, value: 'b' })),
    );
    await Promise.all(sends);
    sends = [];
    expect(sendBatch).toHaveBeenCalledTimes(1); // one request carried both records
    sendBatch.mockRestore();
    expect(traceA).not.toBe(traceB);

    const seen = await consume(topic, 2);
    expect(seen.get('a')).toBe(traceA);
    expect(seen.get('b')).toBe(traceB);
    // Span links follow the data path: process span ← publish span ← request span.
    await waitFor(() => spanOf(traceB, `${topic} process`), { description: 'process span B' });
    const publishB = spanOf(traceB, `${topic} publish`)!;
    const processB = spanOf(traceB, `${topic} process`)!;
    expect(processB.parentSpanContext?.spanId).toBe(publishB.spanContext().spanId);
    expect(publishB.parentSpanContext?.spanId).toBe(
      spanOf(traceB, 'request B')!.spanContext().spanId,
    );
  });

  it('two records from two traces in ONE transaction each continue their own trace', async () => {
    const topic = await createTestTopic(admin, { partitions: 1 });
    const txProducer = kafka.producer({
      transactionalId: uniqueName('tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await txProducer.connect();
    try {
      const messages: ReturnType<typeof tracedMessage>[] = [];
      const traceA = await inNewTrace(
        'job A',
        async () => void messages.push(tracedMessage({ topic, value: 'a' })),
      );
      const traceB = await inNewTrace(
        'job B',
        async () => void messages.push(tracedMessage({ topic, value: 'b' })),
      );
      const tx = await txProducer.transaction();
      await tx.send({ topic, messages: messages.map((m) => m.message) });
      await tx.commit();
      messages.forEach((m) => m.end());

      const seen = await consume(topic, 2);
      expect(seen.get('a')).toBe(traceA);
      expect(seen.get('b')).toBe(traceB);
    } finally {
      await txProducer.disconnect();
    }
  });
});
