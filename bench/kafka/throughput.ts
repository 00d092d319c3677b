/**
 * bench/kafka/throughput: the Kafka runtime against plain kafkajs, same broker, same run.
 *   producer: batching producer (many concurrent callers) vs one awaited `send` per message,
 *             and vs many concurrent un-batched `send`s;
 *   consumer: concurrent consumer vs kafkajs `eachMessage`, with a handler that awaits 5 ms
 *             (an I/O-bound handler, like a Claude call or a webhook) and with an empty handler.
 * Writes bench/results/kafka-throughput.md. Run: npm run bench:kafka (needs the local broker).
 */
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import {
  createBatchingProducer,
  createConcurrentConsumer,
  localBroker,
  waitForTopics,
} from '@claude-pipeline/kafka';
import { writeReport } from '../report.ts';

const BROKERS = (process.env['KAFKA_BROKERS'] ?? localBroker()).split(',');
const VALUE = Buffer.alloc(200, 'x'); // 200-byte values
const kafka = new Kafka({ clientId: 'bench', brokers: BROKERS, logLevel: logLevel.NOTHING });
const run = Date.now().toString(36);

async function topic(admin: Admin, name: string, partitions: number): Promise<string> {
  const t = `bench-${name}-${run}`;
  await admin.createTopics({
    topics: [{ topic: t, numPartitions: partitions, replicationFactor: 1 }],
  });
  await waitForTopics(admin, [t]);
  return t;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function fill(producer: Producer, t: string, count: number): Promise<void> {
  const batch = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: VALUE }));
  for (let sent = 0; sent < count; sent += batch.length) {
    await producer.send({
      topic: t,
      acks: -1,
      messages: batch.slice(0, Math.min(batch.length, count - sent)),
    });
  }
}

const rows: string[] = [];
const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en-US');

const admin = kafka.admin();
await admin.connect();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();

// --- producer ------------------------------------------------------------------------------
const AWAITED = 3_000;
const CONCURRENT = 50_000;
const CALLERS = 1_000;
{
  const t = await topic(admin, 'awaited', 3);
  const s = await timed(async () => {
    for (let i = 0; i < AWAITED; i += 1)
      await producer.send({ topic: t, acks: -1, messages: [{ key: `k${i}`, value: VALUE }] });
  });
  rows.push(
    `| producer | one awaited \`send\` per message | ${AWAITED.toLocaleString('en-US')} | ${s.toFixed(2)} | ${rate(AWAITED, s)} |`,
  );
}
async function callers(n: number, total: number, send: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < total) await send(next++);
    }),
  );
}
{
  const t = await topic(admin, 'concurrent', 3);
  const s = await timed(() =>
    callers(CALLERS, CONCURRENT, (i) =>
      producer.send({ topic: t, acks: -1, messages: [{ key: `k${i}`, value: VALUE }] }),
    ),
  );
  rows.push(
    `| producer | ${CALLERS} concurrent callers, one \`send\` each (no batching) | ${CONCURRENT.toLocaleString('en-US')} | ${s.toFixed(2)} | ${rate(CONCURRENT, s)} |`,
  );
}
{
  const t = await topic(admin, 'batching', 3);
  const batching = createBatchingProducer({ producer, lingerMs: 2, maxBatchRecords: 1000 });
  const s = await timed(() =>
    callers(CALLERS, CONCURRENT, (i) => batching.send({ topic: t, key: `k${i}`, value: VALUE })),
  );
  rows.push(
    `| producer | ${CALLERS} concurrent callers, batching producer (linger 2 ms, ≤ 1000/request) | ${CONCURRENT.toLocaleString('en-US')} | ${s.toFixed(2)} | ${rate(CONCURRENT, s)} |`,
  );
}

// --- consumer ------------------------------------------------------------------------------
const CONSUME = 20_000;
const PARTITIONS = 3;
async function eachMessageRun(t: string, handler: () => Promise<void>): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-em-${t}`, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: t, fromBeginning: true });
  let seen = 0;
  let t0 = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachMessage: async () => {
      if (seen === 0) t0 = performance.now();
      await handler();
      seen += 1;
      if (seen === CONSUME) finish();
    },
  });
  await done;
  const s = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  return s;
}
async function concurrentRun(
  t: string,
  handler: () => Promise<void>,
  maxInFlight: number,
): Promise<number> {
  let seen = 0;
  let t0 = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const consumer = createConcurrentConsumer({
    kafka,
    groupId: `bench-cc-${t}`,
    topics: [t],
    maxInFlight,
    handler: async () => {
      if (seen === 0) t0 = performance.now();
      await handler();
      seen += 1;
      if (seen === CONSUME) finish();
    },
  });
  await consumer.start();
  await done;
  const s = (performance.now() - t0) / 1000;
  await consumer.stop();
  return s;
}
const io = () => new Promise<void>((resolve) => setTimeout(resolve, 5));
const cpu = async () => undefined;
for (const [label, handler] of [
  ['handler awaits 5 ms', io],
  ['empty handler', cpu],
] as const) {
  const a = await topic(admin, 'em', PARTITIONS);
  await fill(producer, a, CONSUME);
  const sa = await eachMessageRun(a, handler);
  rows.push(
    `| consumer, ${label} | kafkajs \`eachMessage\` (${PARTITIONS} partitions consumed concurrently) | ${CONSUME.toLocaleString('en-US')} | ${sa.toFixed(2)} | ${rate(CONSUME, sa)} |`,
  );
  const b = await topic(admin, 'cc', PARTITIONS);
  await fill(producer, b, CONSUME);
  const sb = await concurrentRun(b, handler, 500);
  rows.push(
    `| consumer, ${label} | concurrent consumer (500 in flight per partition) | ${CONSUME.toLocaleString('en-US')} | ${sb.toFixed(2)} | ${rate(CONSUME, sb)} |`,
  );
}

await producer.disconnect();
const created = (await admin.listTopics()).filter((t) => t.endsWith(`-${run}`));
await admin.deleteTopics({ topics: created });
await admin.disconnect();

const report = `# Kafka runtime throughput

Run ${new Date().toISOString()} by \`bench/kafka/throughput.ts\`.

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version};
kafkajs 2.2.4; Apache Kafka 4.3.1 (KRaft, single node, on the same machine, 768 MB heap).
Settings: 200-byte values, acks=all, idempotent producer (max 1 request in flight), 3 partitions,
consumer throughput measured from the first handled message to the last.

| what | how | messages | seconds | messages/s |
|---|---|---:|---:|---:|
${rows.join('\n')}
`;
const out = join(process.cwd(), 'bench/results');
writeReport(join(out, 'kafka-throughput.md'), report);
console.log(report);
