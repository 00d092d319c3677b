/**
 * Done-when 8 with the instrumentation entry the apps load: a child process started with
 * `--import @claude-pipeline/telemetry/register` (as every app's Dockerfile and main.ts say)
 * sends records of two traces in ONE batched produce request and records of two more traces in
 * ONE transaction, then consumes them. Each record's processing span continues its own trace,
 * child of its own publish span, child of the span that queued it.
 *
 * The spans are checked as the child exports them, over OTLP/HTTP to a local receiver, instead
 * of with an in-memory exporter: the entry takes its exporter from OTEL_* variables only, and a
 * test-only hook in the production entry to swap it would no longer be "the entry apps load".
 * (trace-propagation.int.spec.ts checks the same in process, with an in-memory exporter.)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import {
  createTestTopic,
  LOCAL_BROKERS,
  OTLP_SPAN_KIND,
  startOtlpReceiver,
  testKafka,
  uniqueName,
  type OtlpReceiver,
} from '@claude-pipeline/testing';

const libRoot = join(__dirname, '..');
const fixture = join(libRoot, 'test', 'fixtures', 'traced-produce-consume.ts');

interface Line {
  event: string;
  value?: string;
  traceId?: string;
  spanId?: string;
  sendBatch?: number;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the fixture under the apps' `--import` entry; resolves with its exit and output. */
function runFixture(
  args: string[],
  env: Record<string, string>,
): Promise<{ exit: Exit; lines: Line[]; stderr: string }> {
  // A clean environment: no OTEL_*/LOG_* of the developer's shell leak into the child.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && !k.startsWith('LOG_')),
  );
  const child = spawn(
    process.execPath,
    [
      '--conditions=@claude-pipeline/source',
      '--import',
      '@claude-pipeline/telemetry/register',
      fixture,
      ...args,
    ],
    { cwd: libRoot, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Line);
      resolve({ exit: { code, signal }, lines, stderr });
    }),
  );
}

describe('trace context per record, in a process under the --import entry (real broker)', () => {
  let admin: Admin;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    admin = testKafka().admin();
    await admin.connect();
    receiver = await startOtlpReceiver();
  });

  afterAll(async () => {
    await Promise.all([admin.disconnect(), receiver.close()]);
  });

  it('records of two traces in ONE batched request, and of two more in ONE transaction, each continue their own trace in the consumer', async () => {
    const [batchTopic, txTopic] = await Promise.all([
      createTestTopic(admin, { partitions: 1 }),
      createTestTopic(admin, { partitions: 1 }),
    ]);
    const serviceName = uniqueName('traced-produce-consume');
    const { exit, lines, stderr } = await runFixture(
      [batchTopic, txTopic, uniqueName('g'), LOCAL_BROKERS.join(',')],
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: serviceName },
    );
    expect({ exit, stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
    expect(lines.at(-1)?.event).toBe('done');
    // a and b shared one produce request.
    expect(lines.find((l) => l.event === 'requests')?.sendBatch).toBe(1);

    const spans = receiver.spans().filter((s) => s.serviceName === serviceName);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const roots = new Map(lines.filter((l) => l.event === 'root').map((l) => [l.value, l]));
    const handled = new Map(lines.filter((l) => l.event === 'handled').map((l) => [l.value, l]));
    expect([...roots.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect([...handled.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    // Four different traces.
    expect(new Set([...roots.values()].map((r) => r.traceId)).size).toBe(4);

    const cases = [
      { value: 'a', rootName: 'request a', topic: batchTopic },
      { value: 'b', rootName: 'request b', topic: batchTopic },
      { value: 'c', rootName: 'job c', topic: txTopic },
      { value: 'd', rootName: 'job d', topic: txTopic },
    ];
    for (const { value, rootName, topic } of cases) {
      const root = roots.get(value)!;
      const inHandler = handled.get(value)!;
      // The handler of this record ran in the trace that queued it...
      expect({ value, traceId: inHandler.traceId }).toEqual({ value, traceId: root.traceId });
      // ...inside the exported CONSUMER span of that trace, whose parent is the record's
      // PRODUCER span, whose parent is the root span that queued the record.
      const processSpan = byId.get(inHandler.spanId!);
      expect(processSpan).toMatchObject({
        name: `${topic} process`,
        kind: OTLP_SPAN_KIND.consumer,
        traceId: root.traceId,
      });
      const publishSpan = byId.get(processSpan!.parentSpanId);
      expect(publishSpan).toMatchObject({
        name: `${topic} publish`,
        kind: OTLP_SPAN_KIND.producer,
        traceId: root.traceId,
        parentSpanId: root.spanId,
      });
      expect(byId.get(root.spanId!)).toMatchObject({
        name: rootName,
        traceId: root.traceId,
        parentSpanId: '',
      });
      // Exactly one processing span in this trace: no record was processed in another's.
      expect(
        spans.filter((s) => s.traceId === root.traceId && s.name === `${topic} process`),
      ).toHaveLength(1);
    }
  });
});
