/**
 * The sim continues the caller's trace. In process (telemetry started with an in-memory exporter,
 * no HTTP instrumentation) the sim's own span takes the incoming `traceparent` as its parent; as
 * a child process under the real `--import` entry, the exported OTLP payload carries the caller's
 * trace id and parent span id.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { shutdownTelemetry, startTelemetry } from '@claude-pipeline/telemetry';
import { waitFor } from '@claude-pipeline/testing';
import { MODEL, startHarness, type Harness } from './sim-harness.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

const body = { model: MODEL, max_tokens: 20, messages: [{ role: 'user', content: 'trace me' }] };

describe('in process', () => {
  let h: Harness;
  let exporter: InMemorySpanExporter;

  beforeEach(async () => {
    // A new exporter each time: shutting telemetry down stops the one it exported to.
    exporter = new InMemorySpanExporter();
    startTelemetry({
      serviceName: 'anthropic-sim',
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
      instrumentations: [],
      handleSignals: false,
    });
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
    await shutdownTelemetry();
  });

  it("the sim's span continues an incoming traceparent", async () => {
    const response = await h.api('/v1/messages', {
      json: body,
      headers: { traceparent: TRACEPARENT },
    });
    expect(response.status).toBe(200);
    const span = await waitFor(() =>
      exporter.getFinishedSpans().find((s) => s.name === 'anthropic-sim messages.create'),
    );
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.attributes).toMatchObject({
      'gen_ai.request.model': MODEL,
      'gen_ai.usage.output_tokens': 20,
    });
  });

  it("a call through the SDK lands in the SDK's own trace", async () => {
    await h.client().messages.create(body as never);
    const simSpan = await waitFor(() =>
      exporter.getFinishedSpans().find((s) => s.name === 'anthropic-sim messages.create'),
    );
    const sdkSpan = exporter
      .getFinishedSpans()
      .find((s) => s.spanContext().spanId === simSpan.parentSpanContext?.spanId);
    expect(sdkSpan).toBeDefined();
    expect(sdkSpan?.spanContext().traceId).toBe(simSpan.spanContext().traceId);
  });

  it('without a traceparent the sim starts a trace of its own', async () => {
    await h.api('/v1/messages', { json: body });
    const span = await waitFor(() =>
      exporter.getFinishedSpans().find((s) => s.name === 'anthropic-sim messages.create'),
    );
    expect(span.spanContext().traceId).not.toBe(TRACE_ID);
    expect(span.parentSpanContext).toBeUndefined();
  });
});

describe('as a child process under the --import entry', () => {
  let collector: Server;
  const received: Buffer[] = [];

  beforeAll(async () => {
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/traces') received.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
  });
  afterAll(() => {
    collector.close();
  });

  it('exports a server span and the sim span in the caller’s trace', async () => {
    const appRoot = join(__dirname, '..');
    const { port } = collector.address() as AddressInfo;
    const child = spawn(
      process.execPath,
      [
        '--conditions=@claude-pipeline/source',
        '--import',
        '@claude-pipeline/telemetry/register',
        join(appRoot, 'src', 'main.ts'),
      ],
      {
        cwd: appRoot,
        env: {
          ...process.env,
          SIM_PORT: '0',
          SIM_TTFT_MS: '0',
          SIM_TOKENS_PER_SECOND: '0',
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
          OTEL_BSP_SCHEDULE_DELAY: '50',
          OTEL_SERVICE_NAME: 'anthropic-sim-trace-test',
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    try {
      const url = await waitFor(() => /"url":"(http:\/\/[^"]+)"/.exec(stdout)?.[1]);
      const response = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: {
          'x-api-key': 'k',
          'anthropic-version': '2023-06-01',
          'content-type': 'application/json',
          traceparent: TRACEPARENT,
        },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      const payload = await waitFor(() => {
        const all = Buffer.concat(received);
        return all.includes(Buffer.from('anthropic-sim messages.create')) ? all : undefined;
      });
      expect(payload.includes(Buffer.from(TRACE_ID, 'hex'))).toBe(true);
      expect(payload.includes(Buffer.from(PARENT_ID, 'hex'))).toBe(true);
      expect(payload.includes(Buffer.from('anthropic-sim-trace-test'))).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
