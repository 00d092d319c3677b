import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { captureLogs } from '../test/log-capture.ts';
import { createLogger, withCorrelationId } from './logger.ts';
import { REDACTED } from './redact.ts';
import { shutdownTelemetry, startTelemetry } from './sdk.ts';

describe('createLogger', () => {
  const exporter = new InMemorySpanExporter();

  beforeAll(() => {
    startTelemetry({
      serviceName: 'logger-spec',
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
      handleSignals: false,
    });
  });

  afterAll(async () => {
    await shutdownTelemetry();
  });

  const setup = () => {
    const out = captureLogs();
    const logger = createLogger({ service: 'ingest', level: 'debug', destination: out });
    return { out, logger };
  };

  it('writes JSON lines with service, level label, ISO time and message', () => {
    const { out, logger } = setup();
    logger.info({ jobId: 'j1' }, 'accepted');
    expect(out.lines[0]).toMatchObject({
      level: 'info',
      service: 'ingest',
      jobId: 'j1',
      msg: 'accepted',
    });
    expect(out.lines[0]?.['time']).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('adds trace_id, span_id and trace_flags of the active span', () => {
    const { out, logger } = setup();
    const tracer = trace.getTracer('spec');
    let ids: { traceId: string; spanId: string } | undefined;
    tracer.startActiveSpan('work', (span) => {
      ids = span.spanContext();
      logger.info('inside');
      span.end();
    });
    logger.info('outside');
    expect(out.lines[0]).toMatchObject({
      trace_id: ids?.traceId,
      span_id: ids?.spanId,
      trace_flags: '01',
    });
    expect(out.lines[1]).not.toHaveProperty('trace_id');
  });

  it('keeps the trace ids across awaits inside the span', async () => {
    const { out, logger } = setup();
    const tracer = trace.getTracer('spec');
    const traceId = await tracer.startActiveSpan('async-work', async (span) => {
      await new Promise((resolve) => setImmediate(resolve));
      logger.info('after await');
      span.end();
      return span.spanContext().traceId;
    });
    expect(out.lines[0]?.['trace_id']).toBe(traceId);
  });

  it('binds correlation_id through a child logger', () => {
    const { out, logger } = setup();
    withCorrelationId(logger, 'corr-1').info('hello');
    expect(out.lines[0]).toMatchObject({ service: 'ingest', correlation_id: 'corr-1' });
  });

  it('redacts signature and API key headers, nested in log objects', () => {
    const { out, logger } = setup();
    logger.info(
      {
        request: {
          headers: {
            'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
            'x-hub-signature-256':
              'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
            'stripe-signature':
              't=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
            'x-api-key': 'pk_live_123',
            authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9',
            'anthropic-api-key': 'sk-ant-api03-secret',
          },
        },
      },
      'received',
    );
    const headers = (out.lines[0]?.['request'] as { headers: Record<string, unknown> }).headers;
    expect(Object.values(headers)).toEqual(Array(6).fill(REDACTED));
    expect(out.text()).not.toMatch(/K5oZ|757107|5257a8|pk_live|eyJhbG|api03/);
  });

  it('redacts secret-named fields at any depth and scrubs tokens in messages', () => {
    const { out, logger } = setup();
    logger.warn(
      {
        tenant: { id: 't1', callback: { signingSecret: 'whsec_abc', secrets: ['whsec_def'] } },
        sasl: { password: 'p4ss' },
        config: { apiKey: 'k1', api_key: 'k2', nested: [{ client_secret: 'k3' }] },
      },
      'retrying with key %s after Bearer xyz',
      'sk-ant-api03-zzz',
    );
    const text = out.text();
    expect(text).not.toMatch(/whsec_abc|whsec_def|p4ss|"k1"|"k2"|"k3"|api03-zzz|Bearer xyz/);
    expect(out.lines[0]?.['msg']).toBe(
      `retrying with key sk-ant-${REDACTED} after Bearer ${REDACTED}`,
    );
  });

  it('redacts secrets in child bindings, at every generation', () => {
    const { out, logger } = setup();
    const child = logger.child({ headers: { authorization: 'Bearer t' } });
    child.info('bound');
    child.child({ component: 'c', apiKey: 'k' }).info('grandchild');
    expect(out.lines[0]?.['headers']).toEqual({ authorization: REDACTED });
    expect(out.lines[1]).toMatchObject({
      headers: { authorization: REDACTED },
      component: 'c',
      apiKey: REDACTED,
    });
  });

  it('logs errors with type and stack, with secrets removed from the message', () => {
    const { out, logger } = setup();
    const error = Object.assign(new Error('401 for x-api-key: sk-ant-api03-leak'), { status: 401 });
    logger.error({ err: error }, 'call failed');
    logger.error(error);
    const [first, second] = out.lines;
    expect(first?.['err']).toMatchObject({
      type: 'Error',
      message: `401 for x-api-key: ${REDACTED}`,
      status: 401,
    });
    expect((first?.['err'] as { stack: string }).stack).toContain('logger.spec.ts');
    expect(second?.['msg']).toBe(`401 for x-api-key: ${REDACTED}`);
    expect(out.text()).not.toContain('api03-leak');
  });

  it('honours the level', () => {
    const out = captureLogs();
    const logger = createLogger({ service: 's', level: 'warn', destination: out });
    logger.info('hidden');
    logger.warn('shown');
    expect(out.lines.map((l) => l['msg'])).toEqual(['shown']);
  });
});

describe('createLogger without telemetry', () => {
  it('logs without trace fields when no SDK is started', () => {
    const out = captureLogs();
    const logger = createLogger({ service: 's', level: 'info', destination: out });
    trace.getTracer('noop').startActiveSpan('noop', (span) => {
      logger.info('no sdk');
      span.end();
    });
    expect(out.lines[0]).not.toHaveProperty('trace_id');
  });
});

describe('createLogger with serializers of a child (as fastify adds them)', () => {
  it('redacts what those serializers return', () => {
    // A class instance, like fastify's request: the `log` formatter leaves it to the serializer.
    class Request {
      url: string;
      constructor(url: string) {
        this.url = url;
      }
    }
    const out = captureLogs();
    const logger = createLogger({ service: 's', level: 'info', destination: out });
    const child = logger.child(
      {},
      { serializers: { req: (req: Request) => ({ method: 'GET', url: req.url }) } },
    );
    child.info({ req: new Request('/v1/jobs/j1/stream?token=s3cr3t') }, 'incoming request');
    expect(out.lines[0]?.['req']).toEqual({
      method: 'GET',
      url: `/v1/jobs/j1/stream?token=${REDACTED}`,
    });
  });
});
