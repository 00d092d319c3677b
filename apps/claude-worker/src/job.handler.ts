import type { Message } from '@anthropic-ai/sdk/resources/messages/messages';
import {
  ClassifiedError,
  headerNumber,
  headerString,
  InvalidRecordError,
  RETRY,
  TRACEPARENT,
  TRACESTATE,
  type BatchingProducer,
  type ConsumedRecord,
  type RoutedEvent,
} from '@claude-pipeline/kafka';
import {
  contracts,
  safeDecode,
  STOP_REASONS,
  type Attempt,
  type JobRecord,
  type ResponseContentBlock,
  type ResultRecord,
  type StopReason,
  type Usage,
} from '@claude-pipeline/schemas';
import { recordSpanError, type Logger } from '@claude-pipeline/telemetry';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { withPromptCaching } from './claude/caching.ts';
import { classifyClaudeError, toClassifiedError, type ClaudeFailure } from './claude/classify.ts';
import {
  requiresStreaming,
  type CallResult,
  type MessageParams,
  type MessagesClient,
} from './claude/messages-client.ts';
import { estimateCost } from './claude/pricing.ts';
import { routeModel, type RoutingTable } from './claude/routing.ts';
import { estimateInputTokens } from './claude/tokens.ts';
import { LimiterClosedError, type Permit, type RateLimiter } from './limiter/rate-limiter.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { JobPublisher } from './output/job-publisher.ts';
import { createStreamWriter, type StreamWriter } from './output/stream-writer.ts';

/**
 * One realtime job: route the model, add prompt caching, wait for the rate limiter, call the
 * Messages API (streamed when long or asked for), publish the result and status. Failures are
 * thrown as ClassifiedErrors for the retry chain (transient → stage, invalid → DLQ, throttled →
 * wait without spending an attempt, account → halt); `onRouted` publishes the `failed` result
 * when a record reaches the DLQ.
 */
export interface JobHandlerOptions {
  client: MessagesClient;
  limiter: RateLimiter;
  publisher: JobPublisher;
  producer: BatchingProducer;
  streamTopic: string;
  routing: RoutingTable;
  caching: { thresholds: Readonly<Record<string, number>> };
  charsPerToken: number;
  /** Retry stages of the chain (a transient failure after the last one is final). */
  stages: number;
  orderKey: string | undefined;
  metrics: WorkerMetrics;
  logger: Logger;
  /** Whether consumption is halted (account error): no new call may start. */
  halted: () => boolean;
  now?: () => number;
}

export interface JobHandler {
  handle(record: ConsumedRecord): Promise<void>;
  onRouted(event: RoutedEvent): Promise<void>;
}

interface RecordState {
  job: JobRecord;
  /** Calls made while handling this record (throttled re-dispatches included). */
  calls: number;
  processingPublished: boolean;
  trace: Record<string, string>;
  failure?: ClaudeFailure;
}

const tracer = () => trace.getTracer('claude-worker');
const STOP = new Set<string>(STOP_REASONS);

export function toUsage(usage: Message['usage']): Usage {
  return {
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
  };
}

/** Text and tool_use blocks, as the result contract carries them (other kinds are dropped). */
export function toContent(content: Message['content']): ResponseContentBlock[] {
  const out: ResponseContentBlock[] = [];
  for (const block of content) {
    if (block.type === 'text') out.push({ type: 'text', text: block.text });
    else if (block.type === 'tool_use') {
      out.push({
        type: 'tool_use',
        id: block.id,
        name: block.name,
        input: (block.input ?? {}) as Record<string, unknown>,
      });
    }
  }
  return out;
}

function traceHeaders(record: ConsumedRecord): Record<string, string> {
  const out: Record<string, string> = {};
  const traceparent = headerString(record.headers, TRACEPARENT);
  const tracestate = headerString(record.headers, TRACESTATE);
  if (traceparent !== undefined) out[TRACEPARENT] = traceparent;
  if (tracestate !== undefined) out[TRACESTATE] = tracestate;
  return out;
}

export function createJobHandler(options: JobHandlerOptions): JobHandler {
  const { client, limiter, publisher, metrics, logger } = options;
  const now = options.now ?? Date.now;
  const states = new WeakMap<ConsumedRecord, RecordState>();
  const conversations = new Map<string, Promise<void>>();
  let peak = 0;

  const priorAttempts = (record: ConsumedRecord) =>
    headerNumber(record.headers, RETRY.attempt) ?? 0;

  function decodeJob(record: ConsumedRecord): JobRecord {
    const decoded = safeDecode(contracts.jobRecord, record.value);
    if (!decoded.ok) throw new InvalidRecordError(decoded.error.message, { cause: decoded.error });
    return decoded.value;
  }

  function buildParams(job: JobRecord, model: string): MessageParams {
    const cached = withPromptCaching(job.system, model, {
      charsPerToken: options.charsPerToken,
      thresholds: options.caching.thresholds,
    });
    if (cached.added) metrics.cacheBreakpoints.inc({ model });
    return {
      model,
      max_tokens: job.max_tokens,
      messages: job.messages as MessageParams['messages'],
      ...(cached.system === undefined
        ? {}
        : { system: cached.system as NonNullable<MessageParams['system']> }),
      ...(job.temperature === undefined ? {} : { temperature: job.temperature }),
      ...(job.tools === undefined
        ? {}
        : { tools: job.tools as NonNullable<MessageParams['tools']> }),
      ...(job.tool_choice === undefined
        ? {}
        : { tool_choice: job.tool_choice as NonNullable<MessageParams['tool_choice']> }),
    };
  }

  async function acquire(model: string, job: JobRecord): Promise<Permit> {
    try {
      const permit = await limiter.acquire(model, {
        inputTokens: estimateInputTokens(job, options.charsPerToken),
        maxTokens: job.max_tokens,
      });
      if (options.halted()) {
        permit.release();
        throw new ClassifiedError('account', 'consumption halted (account error)');
      }
      return permit;
    } catch (error) {
      if (error instanceof LimiterClosedError) throw new ClassifiedError('account', error.message);
      throw error;
    }
  }

  function observeInflight(): void {
    metrics.claudeInflight.set(limiter.inFlight);
    metrics.claudeWaiting.set(limiter.waiting);
    if (limiter.inFlight > peak) {
      peak = limiter.inFlight;
      metrics.claudeInflightPeak.set(peak);
    }
  }

  async function call(record: ConsumedRecord, state: RecordState): Promise<void> {
    const { job } = state;
    const model = routeModel(job, options.routing);
    const params = buildParams(job, model);
    const stream = job.stream || requiresStreaming(model, job.max_tokens);
    const permit = await acquire(model, job);
    state.calls += 1;
    const attempt = priorAttempts(record) + state.calls;
    metrics.dispatched.inc({ model });
    metrics.limiterWait.observe({ model }, permit.waitedMs / 1000);
    observeInflight();
    const writer: StreamWriter | undefined = job.stream
      ? createStreamWriter({
          producer: options.producer,
          topic: options.streamTopic,
          job,
          attempt,
          trace: state.trace,
        })
      : undefined;
    let responded = false;
    const started = now();
    const span = tracer().startSpan(`chat ${model}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.system': 'anthropic',
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': model,
        'gen_ai.request.max_tokens': job.max_tokens,
        'pipeline.job.id': job.job_id,
        'pipeline.attempt': attempt,
        'pipeline.streamed': stream,
      },
    });
    let answer: CallResult;
    try {
      // The HTTP call (the SDK's and undici's spans, when instrumented) runs under this span.
      answer = await context.with(trace.setSpan(context.active(), span), () =>
        client.call(params, {
          stream,
          onResponse: () => {
            responded = true;
          },
          ...(writer ? { onEvent: (event) => writer.event(event) } : {}),
        }),
      );
    } catch (error) {
      const failure = classifyClaudeError(error, { duringStream: responded, now: now() });
      const headers = (error as { headers?: unknown }).headers;
      if (headers instanceof Headers) limiter.observe(model, headers);
      permit.release();
      observeInflight();
      recordSpanError(span, error);
      span.end();
      const status = failure.status === undefined ? 'error' : String(failure.status);
      metrics.requests.inc({ model, mode: 'realtime', status });
      metrics.requestDuration.observe(
        { model, outcome: failure.errorClass },
        (now() - started) / 1000,
      );
      if (failure.errorClass === 'throttled') {
        metrics.throttled.inc({ model });
        limiter.pause(failure.retryAfterMs ?? 0);
      } else if (failure.errorClass === 'account') {
        metrics.accountErrors.inc({ status });
      }
      if (writer) {
        const retrying =
          failure.errorClass !== 'invalid' &&
          !(failure.errorClass === 'transient' && priorAttempts(record) + 1 > options.stages);
        writer.abort({ class: failure.errorClass, message: failure.message }, retrying);
        await writer.flush().catch(() => undefined);
      }
      state.failure = failure;
      throw toClassifiedError(failure, error);
    }
    // Answered. A failure from here on is Kafka's (publishing), not the call's: the limiter and
    // the call metrics are settled already.
    const { message, headers } = answer;
    const seconds = (now() - started) / 1000;
    limiter.observe(model, headers);
    const usage = toUsage(message.usage);
    permit.release({
      inputTokens: usage.input_tokens + usage.cache_creation_input_tokens,
      outputTokens: usage.output_tokens,
    });
    observeInflight();
    span.setAttributes({
      'gen_ai.response.model': message.model,
      'gen_ai.usage.input_tokens': usage.input_tokens,
      'gen_ai.usage.output_tokens': usage.output_tokens,
      'gen_ai.response.finish_reasons': [message.stop_reason ?? 'unknown'],
    });
    span.end();
    metrics.requests.inc({ model, mode: 'realtime', status: '200' });
    metrics.requestDuration.observe({ model, outcome: 'ok' }, seconds);
    for (const [kind, n] of [
      ['input', usage.input_tokens],
      ['output', usage.output_tokens],
      ['cache_read', usage.cache_read_input_tokens],
      ['cache_write', usage.cache_creation_input_tokens],
    ] as const) {
      if (n > 0) metrics.tokens.inc({ kind, model: message.model, mode: 'realtime' }, n);
    }
    const stopReason: StopReason = STOP.has(message.stop_reason ?? '')
      ? (message.stop_reason as StopReason)
      : 'end_turn';
    const cost = estimateCost(message.model, usage, 'realtime');
    metrics.cost.inc({ model: message.model, mode: 'realtime' }, cost);
    if (writer) {
      writer.end(stopReason, usage, message.model);
      await writer.flush();
    }
    const completedAt = now();
    const result: ResultRecord = {
      schema_version: 1,
      job_id: job.job_id,
      tenant: job.tenant,
      correlation_id: job.correlation_id,
      generation: job.generation,
      ...(job.metadata === undefined ? {} : { metadata: job.metadata }),
      ...(job.callback === undefined ? {} : { callback: job.callback }),
      status: 'succeeded',
      content: toContent(message.content),
      stop_reason: stopReason,
      usage,
      model: message.model,
      tier: 'realtime',
      latency_ms: Math.max(0, completedAt - Date.parse(job.created_at)),
      attempts: attempt,
      cost_estimate_usd: cost,
      completed_at: new Date(completedAt).toISOString(),
    };
    await publisher.result(job, state.trace, result, {
      kind: 'processing',
      number: attempt,
      at: result.completed_at,
      outcome: 'succeeded',
    });
    metrics.jobDuration.observe(
      { mode: 'realtime', outcome: 'succeeded' },
      result.latency_ms / 1000,
    );
    metrics.recordsProcessed.inc({ topic: record.topic, outcome: 'ok' });
    // One line per job (debug: a busy worker finishes thousands a minute); with the trace id
    // the log correlation adds, it finds the job in Jaeger.
    logger.debug(
      {
        job_id: job.job_id,
        correlation_id: job.correlation_id,
        generation: job.generation,
        model: message.model,
        attempts: attempt,
        latency_ms: result.latency_ms,
      },
      'job succeeded',
    );
  }

  async function handle(record: ConsumedRecord): Promise<void> {
    let state = states.get(record);
    if (!state) {
      const job = decodeJob(record);
      if (job.mode !== 'realtime') {
        // batch-mode jobs belong to batch-poller, which reads the same topic in its own group.
        metrics.recordsProcessed.inc({ topic: record.topic, outcome: 'skipped' });
        return;
      }
      state = { job, calls: 0, processingPublished: false, trace: traceHeaders(record) };
      states.set(record, state);
    }
    const current = state;
    if (!current.processingPublished) {
      current.processingPublished = true;
      await publisher.processing(current.job, current.trace);
    }
    const key =
      options.orderKey === undefined ? undefined : current.job.metadata?.[options.orderKey];
    if (key === undefined) {
      await call(record, current);
      return;
    }
    // Jobs of one conversation run one after another (in this process, in arrival order).
    const scoped = `${current.job.tenant}\u0000${key}`;
    const previous = conversations.get(scoped) ?? Promise.resolve();
    const run = previous.then(() => call(record, current));
    const tail = run.catch(() => undefined);
    conversations.set(scoped, tail);
    try {
      await run;
    } finally {
      if (conversations.get(scoped) === tail) conversations.delete(scoped);
    }
  }

  async function onRouted(event: RoutedEvent): Promise<void> {
    const state = states.get(event.record);
    const { classification: c } = event;
    if (event.destination === 'retry') {
      metrics.retryRecords.inc({
        stage: event.topic.split('.').pop() ?? '',
        error_class: c.errorClass,
      });
      metrics.recordsProcessed.inc({ topic: event.record.topic, outcome: 'retry' });
    } else {
      const stage = event.record.topic.includes('.retry.')
        ? (event.record.topic.split('.').pop() ?? '')
        : 'source';
      metrics.dlqRecords.inc({ topic: event.topic, error_class: c.errorClass, stage });
      metrics.recordsProcessed.inc({ topic: event.record.topic, outcome: 'dlq' });
    }
    if (!state) return; // undecodable: the DLQ record is all there is
    const { job } = state;
    const attempts = Math.max(1, priorAttempts(event.record) + state.calls);
    const error = {
      class: c.errorClass,
      message: (c.message ?? state.failure?.message ?? 'failed').slice(0, 1024),
      ...(state.failure?.code === undefined ? {} : { code: state.failure.code }),
    };
    const at = new Date(now()).toISOString();
    const attempt: Attempt = {
      kind: 'processing',
      number: attempts,
      at,
      outcome: event.destination === 'retry' ? 'retrying' : 'failed',
      error,
      ...(state.failure?.status === undefined ? {} : { http_status: state.failure.status }),
    };
    if (event.destination === 'retry') {
      await publisher.processing(job, state.trace, [attempt]);
      return;
    }
    const result: ResultRecord = {
      schema_version: 1,
      job_id: job.job_id,
      tenant: job.tenant,
      correlation_id: job.correlation_id,
      generation: job.generation,
      ...(job.metadata === undefined ? {} : { metadata: job.metadata }),
      ...(job.callback === undefined ? {} : { callback: job.callback }),
      status: 'failed',
      error: {
        ...error,
        message: error.message.slice(0, 4096),
        retriable: c.errorClass !== 'invalid',
      },
      attempts,
      completed_at: at,
    };
    await publisher.result(job, state.trace, result, attempt);
    metrics.jobDuration.observe(
      { mode: 'realtime', outcome: 'failed' },
      Math.max(0, now() - Date.parse(job.created_at)) / 1000,
    );
    logger.warn(
      {
        job_id: job.job_id,
        correlation_id: job.correlation_id,
        generation: job.generation,
        error_class: c.errorClass,
        attempts,
      },
      'job dead-lettered',
    );
  }

  return { handle, onRouted };
}
