/**
 * Each job and status record continues the trace of the event it came from, also when events of
 * several traces share one batch and one transaction.
 */
import { rmSync } from 'node:fs';
import type { TopicNames } from '@claude-pipeline/kafka';
import { HEADERS } from '@claude-pipeline/schemas';
import { createLogger, startTelemetry, type Telemetry } from '@claude-pipeline/telemetry';
import { testKafka, waitFor } from '@claude-pipeline/testing';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { startDedupe, type Dedupe } from '../src/dedupe.ts';
import {
  collect,
  event,
  eventKey,
  header,
  provisionPrefix,
  stateDir,
  testConfig,
  type Collector,
} from './support.ts';

const traceparent = (traceId: string) => `00-${traceId}-${'1'.repeat(16)}-01`;

describe('trace context through dedupe (real broker)', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let names: TopicNames;
  let dedupe: Dedupe | undefined;
  const collectors: Collector[] = [];
  const dir = stateDir();

  beforeAll(async () => {
    telemetry = startTelemetry({
      serviceName: 'dedupe-test',
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
      handleSignals: false,
    });
    kafka = testKafka();
    admin = kafka.admin();
    producer = kafka.producer({ idempotent: true });
    await Promise.all([admin.connect(), producer.connect()]);
    names = await provisionPrefix(admin);
  });

  afterAll(async () => {
    await dedupe?.stop();
    await Promise.all(collectors.map((c) => c.stop()));
    await Promise.all([admin.disconnect(), producer.disconnect()]);
    await telemetry.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every output record the trace of its own event', async () => {
    const jobs = await collect(kafka, names.jobs);
    const statuses = await collect(kafka, names.status);
    collectors.push(jobs, statuses);
    dedupe = await startDedupe(testConfig(names, dir), {
      logger: createLogger({ service: 'dedupe', level: 'warn' }),
    });
    const a = event('acme', 'traced-a');
    const b = event('acme', 'traced-b');
    const traceA = 'a'.repeat(32);
    const traceB = 'b'.repeat(32);
    await producer.send({
      topic: names.events,
      acks: -1,
      messages: [
        {
          key: eventKey(a),
          value: JSON.stringify(a),
          partition: 0,
          headers: { traceparent: traceparent(traceA) },
        },
        {
          key: eventKey(b),
          value: JSON.stringify(b),
          partition: 0,
          headers: { traceparent: traceparent(traceB) },
        },
      ],
    });
    await waitFor(() => jobs.records.length === 2 && statuses.records.length === 2, {
      timeoutMs: 30_000,
      description: 'two jobs and two statuses',
    });
    const traceOf = (records: Collector['records'], key: string) =>
      header(records.find((r) => r.key === key)!.headers, HEADERS.traceparent)?.split('-')[1];
    expect(traceOf(jobs.records, a.job.job_id)).toBe(traceA);
    expect(traceOf(jobs.records, b.job.job_id)).toBe(traceB);
    expect(traceOf(statuses.records, a.job.job_id)).toBe(traceA);
    expect(traceOf(statuses.records, b.job.job_id)).toBe(traceB);

    // The processing spans end once the local store has the batch too, just after the commit.
    const processSpans = await waitFor(
      async () => {
        await telemetry.forceFlush();
        const spans = exporter
          .getFinishedSpans()
          .filter((s) => s.name === `${names.events} process`);
        return spans.length === 2 && spans;
      },
      { description: 'two processing spans' },
    );
    expect(processSpans.map((s) => s.spanContext().traceId).sort()).toEqual([traceA, traceB]);
  });
});
