/**
 * The real `--import` entry in a real ESM app (test/fixtures/traced-app.ts), in a child process:
 * spans of fetch (undici) and node:http reach an OTLP/HTTP endpoint (a local server standing in
 * for Jaeger), `traceparent` reaches the called server, and pino lines carry the trace id, also
 * from a plain pino logger, which proves the ESM hook let instrumentation-pino patch `import`ed
 * pino.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const libRoot = join(__dirname, '..');
const entry = join(libRoot, 'src', 'register.ts');
const fixture = join(libRoot, 'test', 'fixtures', 'traced-app.ts');
const entryWithoutHook = join(libRoot, 'test', 'fixtures', 'sdk-without-hook.ts');

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A local HTTP server that answers 200 to everything and keeps what it received. */
async function recordingServer(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      // An empty ExportTraceServiceResponse is a valid (successful) OTLP answer.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, server };
}

interface Run {
  lines: Record<string, unknown>[];
  stderr: () => string;
  waitForLine: (msg: string) => Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal: NodeJS.Signals) => void;
}

function runFixture(env: Record<string, string>, preload = entry): Run {
  // A clean environment: no OTEL_*/LOG_* of the developer's shell leak into the child.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && !k.startsWith('LOG_')),
  );
  const child = spawn(
    process.execPath,
    ['--conditions=@claude-pipeline/source', '--import', preload, fixture],
    { cwd: libRoot, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: Record<string, unknown>[] = [];
  const waiters: { msg: string; resolve: () => void }[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      for (const w of waiters) if (parsed['msg'] === w.msg) w.resolve();
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    lines,
    stderr: () => stderr,
    // Fails at once if the child exits first, instead of waiting for the test timeout.
    waitForLine: (msg) =>
      lines.some((l) => l['msg'] === msg)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiters.push({ msg, resolve })),
            exited.then((how) => {
              throw new Error(`exited (${JSON.stringify(how)}) before "${msg}": ${stderr}`);
            }),
          ]),
    exited,
    kill: (signal) => child.kill(signal),
  };
}

/** `00-<trace id>-<parent span id>-<flags>` */
function parseTraceparent(value: string | string[] | undefined): {
  traceId: string;
  spanId: string;
} {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(String(value));
  if (!match) throw new Error(`not a traceparent: ${String(value)}`);
  return { traceId: match[1]!, spanId: match[2]! };
}

/** All OTLP export requests as one buffer: ids are raw bytes in protobuf, so look for those. */
const exported = (received: Received[]): Buffer =>
  Buffer.concat(received.filter((r) => r.path === '/v1/traces').map((r) => r.body));

const containsId = (payload: Buffer, hexId: string): boolean =>
  payload.includes(Buffer.from(hexId, 'hex'));

interface Servers {
  collector: Awaited<ReturnType<typeof recordingServer>>;
  target: Awaited<ReturnType<typeof recordingServer>>;
  /** Unique per test, so its bytes in the OTLP payload can only come from this run. */
  serviceName: string;
  env: Record<string, string>;
}

let runs = 0;

/** Servers of one test (tests run concurrently: each child process is slow to start). */
async function withServers(test: (servers: Servers) => Promise<void>): Promise<void> {
  const [collector, target] = await Promise.all([recordingServer(), recordingServer()]);
  const serviceName = `traced-app-${process.pid}-${++runs}`;
  try {
    await test({
      collector,
      target,
      serviceName,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_SERVICE_NAME: serviceName,
        TARGET_URL: target.url,
      },
    });
  } finally {
    collector.server.close();
    target.server.close();
  }
}

describe('the --import entry in an ESM app', () => {
  it.concurrent(
    'exports fetch and http spans, propagates traceparent and puts the trace id in pino lines',
    () =>
      withServers(async ({ collector, target, serviceName, env }) => {
        const run = runFixture({ ...env, FIXTURE_MODE: 'once' });
        expect(await run.exited).toEqual({ code: 0, signal: null });
        expect(run.stderr()).toBe('');

        // The called server saw W3C trace context from both clients, in one trace.
        const fetchCall = target.received.find((r) => r.path === '/fetch');
        const httpCall = target.received.find((r) => r.path === '/http');
        const viaFetch = parseTraceparent(fetchCall?.headers['traceparent']);
        const viaHttp = parseTraceparent(httpCall?.headers['traceparent']);
        expect(viaHttp.traceId).toBe(viaFetch.traceId);

        // Both pino lines carry that trace id: createLogger's mixin, and instrumentation-pino on
        // a plain `import { pino } from 'pino'` logger (only possible through the ESM hook).
        const factoryLine = run.lines.find((l) => l['logger'] === 'factory');
        const rawLine = run.lines.find((l) => l['logger'] === 'raw');
        expect(factoryLine).toMatchObject({ trace_id: viaFetch.traceId, trace_flags: '01' });
        expect(rawLine).toMatchObject({ trace_id: viaFetch.traceId, trace_flags: '01' });
        expect(factoryLine?.['headers']).toEqual({ 'x-api-key': '[redacted]' });

        // The OTLP endpoint got protobuf with the service name and the client spans whose ids
        // went out in those traceparent headers (exported before the process ended by itself).
        const requests = collector.received.filter((r) => r.path === '/v1/traces');
        expect(requests.length).toBeGreaterThanOrEqual(1);
        expect(requests[0]?.headers['content-type']).toBe('application/x-protobuf');
        const payload = exported(collector.received);
        expect(payload.includes(Buffer.from(serviceName))).toBe(true);
        expect(payload.includes(Buffer.from('fixture.work'))).toBe(true);
        expect(containsId(payload, viaFetch.traceId)).toBe(true);
        expect(containsId(payload, viaFetch.spanId)).toBe(true);
        expect(containsId(payload, viaHttp.spanId)).toBe(true);
      }),
  );

  it.concurrent('on SIGTERM with no handler of the app: flushes, then ends by the signal', () =>
    withServers(async ({ collector, target, env }) => {
      // A long batch delay, so only the signal can have caused the export.
      const run = runFixture({ ...env, FIXTURE_MODE: 'wait', OTEL_BSP_SCHEDULE_DELAY: '60000' });
      await run.waitForLine('ready');
      expect(exported(collector.received).length).toBe(0);
      run.kill('SIGTERM');
      expect(await run.exited).toEqual({ code: null, signal: 'SIGTERM' });
      const { traceId } = parseTraceparent(target.received[0]?.headers['traceparent']);
      expect(containsId(exported(collector.received), traceId)).toBe(true);
    }),
  );

  it.concurrent(
    "on SIGTERM with the app's own handler: the app shuts down and exits by itself",
    () =>
      withServers(async ({ collector, target, env }) => {
        const run = runFixture({
          ...env,
          FIXTURE_MODE: 'own-handler',
          OTEL_BSP_SCHEDULE_DELAY: '60000',
        });
        await run.waitForLine('ready');
        run.kill('SIGTERM');
        expect(await run.exited).toEqual({ code: 0, signal: null });
        expect(run.lines.map((l) => l['msg'])).toEqual(
          expect.arrayContaining(['app shutdown', 'telemetry shut down']),
        );
        const { traceId } = parseTraceparent(target.received[0]?.headers['traceparent']);
        expect(containsId(exported(collector.received), traceId)).toBe(true);
      }),
  );

  it.concurrent('OTEL_SDK_DISABLED=true: the app runs untraced and nothing is exported', () =>
    withServers(async ({ collector, target, env }) => {
      const run = runFixture({ ...env, FIXTURE_MODE: 'once', OTEL_SDK_DISABLED: 'true' });
      expect(await run.exited).toEqual({ code: 0, signal: null });
      expect(target.received).toHaveLength(2);
      expect(target.received.every((r) => r.headers['traceparent'] === undefined)).toBe(true);
      expect(run.lines.some((l) => 'trace_id' in l)).toBe(false);
      expect(collector.received).toHaveLength(0);
    }),
  );

  it.concurrent(
    'negative control: without the loader hook, imported node:http and pino are not patched',
    () =>
      withServers(async ({ target, env }) => {
        const run = runFixture({ ...env, FIXTURE_MODE: 'once' }, entryWithoutHook);
        expect(await run.exited).toEqual({ code: 0, signal: null });
        const fetchCall = target.received.find((r) => r.path === '/fetch');
        const httpCall = target.received.find((r) => r.path === '/http');
        // undici reports through diagnostics_channel: no hook needed.
        const { traceId } = parseTraceparent(fetchCall?.headers['traceparent']);
        expect(httpCall?.headers['traceparent']).toBeUndefined();
        expect(run.lines.find((l) => l['logger'] === 'raw')).not.toHaveProperty('trace_id');
        // createLogger's mixin needs no hook.
        expect(run.lines.find((l) => l['logger'] === 'factory')?.['trace_id']).toBe(traceId);
      }),
  );
});
