/**
 * The sim continues the caller's trace. In process (telemetry started with an in-memory exporter,
 * no HTTP instrumentation) the sim's own span takes the incoming `traceparent` as its parent; as
 * a child process under the real `--import` entry, the exported spans (decoded by a local OTLP
 * receiver) are in the caller's trace: the server span is the caller's span's child, the sim's
 * span the server span's child.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { shutdownTelemetry, startTelemetry } from '@claude-pipeline/telemetry';
import {
  OTLP_SPAN_KIND,
  startOtlpReceiver,
  waitFor,
  type OtlpReceiver,
} from '@claude-pipeline/testing';
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
  let collector: OtlpReceiver;

  beforeAll(async () => {
    collector = await startOtlpReceiver();
  });
  afterAll(async () => {
    await collector.close();
  });

  it('exports a server span and the sim span in the caller’s trace', async () => {
    const appRoot = join(__dirname, '..');
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
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
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
      const simSpan = await waitFor(() =>
        collector.spans().find((s) => s.name === 'anthropic-sim messages.create'),
      );
      const spans = collector.spans().filter((s) => s.traceId === TRACE_ID);
      const server = spans.find((s) => s.kind === OTLP_SPAN_KIND.server);
      expect(server).toMatchObject({
        parentSpanId: PARENT_ID,
        serviceName: 'anthropic-sim-trace-test',
      });
      expect(simSpan).toMatchObject({
        traceId: TRACE_ID,
        parentSpanId: server?.spanId,
        serviceName: 'anthropic-sim-trace-test',
      });
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
