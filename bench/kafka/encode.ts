/**
 * bench/kafka/encode: CPU and allocations of kafkajs' produce-path encoder, no broker.
 * Encodes whole Produce v3 requests (Record → RecordBatch → partition → topic → request framing,
 * exactly what `producer.send` hands to the socket) for pipeline-shaped records and reports
 * records/s, ns per record, Buffer allocations per record and GC time.
 *
 *   BENCH_LABEL=after node --conditions=@claude-pipeline/source bench/kafka/encode.ts
 *   BENCH_LABEL=before BENCH_KAFKAJS_DIR=/tmp/kafkajs-2.2.4 node ... bench/kafka/encode.ts
 *
 * Settings (env): BENCH_LABEL (section name in the report, default `current`), BENCH_RECORDS
 * (records per request, default 1,000), BENCH_SECONDS (measured time per case, default 3).
 * Writes (or replaces its own section of) bench/results/kafka-encode.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';

interface Message {
  key: string | null;
  value: Buffer | string | null;
  headers?: Record<string, string | Buffer>;
  timestamp?: string;
}
type ProduceRequest = (args: {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: {
    topic: string;
    partitions: { partition: number; firstSequence: number; messages: Message[] }[];
  }[];
}) => { apiKey: number; apiVersion: number; encode: () => Promise<unknown> };
interface EncodedRequest {
  size: () => number;
  buffer: Buffer;
}
type CreateRequest = (args: {
  correlationId: number;
  clientId: string;
  request: ReturnType<ProduceRequest>;
}) => Promise<EncodedRequest>;

// BENCH_KAFKAJS_DIR: another copy of the kafkajs package to measure instead of the installed
// (patched) one, e.g. an unpacked `npm pack kafkajs@2.2.4` for the unpatched encoder.
const KAFKAJS = process.env['BENCH_KAFKAJS_DIR'] ?? 'kafkajs';
const require = createRequire(import.meta.url);
const produceV3 = require(
  `${KAFKAJS}/src/protocol/requests/produce/v3/request.js`,
) as ProduceRequest;
const createRequest = require(`${KAFKAJS}/src/protocol/request.js`) as CreateRequest;
const Long = require(`${KAFKAJS}/src/utils/long.js`) as { fromInt: (n: number) => unknown };

const LABEL = process.env['BENCH_LABEL'] ?? 'current';
const RECORDS = Number(process.env['BENCH_RECORDS'] ?? 1_000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);
const REPORT = join(import.meta.dirname, '..', 'results', 'kafka-encode.md');

// A job-shaped record: ~1 KB JSON value, a string key and nine headers (CloudEvents,
// correlation, trace), as dedupe writes them.
const value = JSON.stringify({
  id: '6f1c2a9e-5f0b-4d7e-9a51-0c3f2e8d7b14',
  prompt: 'Summarise the following webhook payload. '.repeat(20),
  model: 'claude-sonnet-4',
  maxTokens: 1024,
});
const headers = {
  ce_specversion: '1.0',
  ce_id: '6f1c2a9e-5f0b-4d7e-9a51-0c3f2e8d7b14',
  ce_source: '/claude-pipeline/dedupe',
  ce_type: 'pipeline.job.v1',
  ce_time: '2026-11-22T09:00:00.000Z',
  'content-type': 'application/json',
  'correlation-id': 'c0ffee00-1111-2222-3333-444455556666',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  tenant: Buffer.from('tenant-a'),
};

interface Case {
  name: string;
  compression: number;
  make: (i: number) => Message;
}
const cases: Case[] = [
  {
    name: '1 KB value, 9 headers (a job)',
    compression: 0,
    make: (i) => ({ key: `job-${i}`, value, headers }),
  },
  {
    name: '1 KB value, no headers',
    compression: 0,
    make: (i) => ({ key: `job-${i}`, value: Buffer.from(value) }),
  },
  {
    name: '60 B value, 3 headers (a changelog entry)',
    compression: 0,
    make: (i) => ({
      key: `k-${i}`,
      value: `{"seen":true,"at":${1_700_000_000_000 + i}}`,
      headers: { a: '1', b: '2', c: Buffer.from('3') },
    }),
  },
  {
    name: '1 KB value, 9 headers, gzip',
    compression: 1,
    make: (i) => ({ key: `job-${i}`, value, headers }),
  },
];

// Counts Buffer allocations (calls and bytes) made while `fn` runs, by wrapping the factories
// the encoder uses. Only for the counting pass; the timed passes run unwrapped.
async function countAllocations(
  fn: () => Promise<void>,
): Promise<{ calls: number; bytes: number }> {
  const originals = {
    alloc: Buffer.alloc,
    allocUnsafe: Buffer.allocUnsafe,
    from: Buffer.from,
    concat: Buffer.concat,
  };
  let calls = 0;
  let bytes = 0;
  // Buffer's factories are called with `this` = Buffer, so wrap them with `apply`.
  const wrap = <F extends (...args: never[]) => Uint8Array>(f: F): F =>
    function (this: unknown, ...args: Parameters<F>) {
      const b = f.apply(this, args);
      calls += 1;
      bytes += b.length;
      return b;
    } as F;
  Buffer.alloc = wrap(originals.alloc);
  Buffer.allocUnsafe = wrap(originals.allocUnsafe);
  Buffer.from = wrap(originals.from);
  Buffer.concat = wrap(originals.concat);
  try {
    await fn();
  } finally {
    Object.assign(Buffer, originals);
  }
  return { calls, bytes };
}

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

const flushGcEntries = () => new Promise((resolve) => setTimeout(resolve, 50));

interface Row {
  name: string;
  requestBytes: number;
  nsPerRecord: number;
  recordsPerCpuS: number;
  cpuNsPerRecord: number;
  allocsPerRecord: number;
  allocBytesPerRecord: number;
  gcShare: number;
}

async function run(c: Case): Promise<Row> {
  const messages = Array.from({ length: RECORDS }, (_, i) => c.make(i));
  let correlationId = 0;
  const encodeOnce = async (): Promise<EncodedRequest> => {
    const request = produceV3({
      acks: -1,
      timeout: 30_000,
      transactionalId: 'bench-tx',
      producerId: Long.fromInt(4242),
      producerEpoch: 3,
      compression: c.compression,
      topicData: [
        { topic: 'pipeline.jobs', partitions: [{ partition: 0, firstSequence: 0, messages }] },
      ],
    });
    correlationId += 1;
    return createRequest({ correlationId, clientId: 'bench', request });
  };
  const first = await encodeOnce();
  // warm-up, then a timed loop of whole requests
  for (const end = performance.now() + 1_000; performance.now() < end;) await encodeOnce();
  // GC entries are delivered on a later macrotask: let the warm-up's arrive before resetting.
  await flushGcEntries();
  gcMs = 0;
  let requests = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + SECONDS * 1_000;
  while (performance.now() < end) {
    await encodeOnce();
    requests += 1;
  }
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1_000;
  await flushGcEntries();
  const gcShare = gcMs / elapsed;
  const alloc = await countAllocations(async () => {
    await encodeOnce();
  });
  const records = requests * RECORDS;
  return {
    name: c.name,
    requestBytes: first.size(),
    nsPerRecord: (elapsed * 1e6) / records,
    recordsPerCpuS: records / (cpuMs / 1_000),
    cpuNsPerRecord: (cpuMs * 1e6) / records,
    allocsPerRecord: alloc.calls / RECORDS,
    allocBytesPerRecord: alloc.bytes / RECORDS,
    gcShare,
  };
}

const load0 = loadavg()[0] ?? 0;
const rows: Row[] = [];
for (const c of cases) {
  const row = await run(c);
  rows.push(row);
  console.log(
    `${row.name}: ${Math.round(row.recordsPerCpuS)} records/CPU-s, ` +
      `${Math.round(row.cpuNsPerRecord)} CPU ns/record, ${Math.round(row.nsPerRecord)} wall ns/record`,
  );
}
const load1 = loadavg()[0] ?? 0;

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const section = [
  `## ${LABEL}`,
  '',
  `Run ${new Date().toISOString()} on ${KAFKAJS === 'kafkajs' ? 'the installed kafkajs' : `\`${KAFKAJS}\``}; machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${fmt(RECORDS)} records per ` +
    `request, ${SECONDS} s measured per case after 1 s of warm-up. Load average (1 min) ` +
    `${load0.toFixed(1)} before, ${load1.toFixed(1)} after (2 cores, shared with other test runs).`,
  '',
  '| records | request bytes | records per CPU-second | CPU ns/record | wall ns/record | Buffer allocations/record | allocated bytes/record | GC share |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${fmt(r.requestBytes)} | ${fmt(r.recordsPerCpuS)} | ${fmt(r.cpuNsPerRecord)} | ` +
      `${fmt(r.nsPerRecord)} | ` +
      `${fmt(r.allocsPerRecord, 1)} | ${fmt(r.allocBytesPerRecord)} | ${fmt(r.gcShare * 100, 1)} % |`,
  ),
  '',
  '',
].join('\n');

const header = [
  '# kafkajs produce-path encoding',
  '',
  'Written by `bench/kafka/encode.ts`: whole Produce v3 requests (Record → RecordBatch → ' +
    'partition → topic → request framing, the bytes `producer.send` writes to the socket) ' +
    'encoded in a loop, no broker. Transactional batch, one partition. *Buffer allocations* ' +
    'counts `Buffer.alloc`/`allocUnsafe`/`from`/`concat` calls during one request, divided by ' +
    'its records; *GC share* is the time of GC pauses over the measured time. The machine is ' +
    'shared, so the main figures are CPU time of the process (`process.cpuUsage`, including ' +
    'GC threads) per record, which other load distorts far less than wall time.',
  '',
  '',
].join('\n');
mkdirSync(join(import.meta.dirname, '..', 'results'), { recursive: true });
// Keep the other labels' sections (e.g. `before` next to `after`), replace this label's.
const previous = existsSync(REPORT) ? readFileSync(REPORT, 'utf8') : header;
const parts = previous.split(/^(?=## )/m);
const kept = parts.filter((p, i) => i > 0 && !p.startsWith(`## ${LABEL}\n`));
writeFileSync(REPORT, [parts[0] ?? header, ...kept, section].join(''));
console.log(`wrote ${REPORT}`);
