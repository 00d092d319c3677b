import { randomUUID } from 'node:crypto';
import { jobSubmissionSchema, safeParse, type JobSubmission } from '@claude-pipeline/schemas';
import {
  choiceFlag,
  expectPositionals,
  intFlag,
  keyValueFlags,
  numberFlag,
  parseCommandArgs,
} from '../args.ts';
import { CliError, EXIT, UsageError } from '../errors.ts';
import { apiKeyFrom, createIngestClient, ingestUrlFrom } from '../http/ingest.client.ts';
import { jaegerUrlFrom, newTrace, traceLink } from '../http/trace-context.ts';
import { isRecord, parseJsonOrUndefined } from '../output/format.ts';
import { durationFlag } from '../time.ts';
import type { Command } from './command.types.ts';
import { DEFAULT_MAX_RECONNECTS, followJob } from './jobs-follow.ts';
import { watchJob, WATCH_HELP, WATCH_OPTIONS, untilFlag } from './jobs-get.command.ts';
import {
  API_KEY_HELP,
  API_KEY_OPTION,
  HELP_HELP,
  JSON_HELP,
  JSON_OPTION,
  readInput,
  URL_HELP,
  URL_OPTION,
} from './shared.ts';

const NAME = 'send job';

const options = {
  ...URL_OPTION,
  ...API_KEY_OPTION,
  ...JSON_OPTION,
  ...WATCH_OPTIONS,
  prompt: { type: 'string', short: 'p' },
  file: { type: 'string' },
  system: { type: 'string' },
  model: { type: 'string' },
  'task-class': { type: 'string' },
  'max-tokens': { type: 'string' },
  temperature: { type: 'string' },
  mode: { type: 'string' },
  callback: { type: 'string' },
  metadata: { type: 'string', multiple: true },
  stream: { type: 'boolean' },
  'idempotency-key': { type: 'string' },
  'correlation-id': { type: 'string' },
  watch: { type: 'boolean', short: 'w' },
  follow: { type: 'boolean', short: 'f' },
  'jaeger-url': { type: 'string' },
} as const;

export const sendJobCommand: Command = {
  help: `usage: pipeline send job --prompt TEXT [flags]
       pipeline send job --file submission.json [flags]

Submits a job to ingest with the API key's tenant. The body is checked against the
job-submission schema before it is sent. A repeat with the same --idempotency-key returns the
same job id.

flags:
  -p, --prompt TEXT        the user prompt
  --file PATH              a whole submission body (JSON; '-' reads stdin); flags override
                           its fields
  --system TEXT            system prompt
  --model ID | --task-class NAME
                           model, or the task class the worker routes (not both)
  --max-tokens N           maximum output tokens (server default when absent)
  --temperature T          0..1
  --mode realtime|batch    default realtime; batch goes through Message Batches (50 % price)
  --callback URL           where the notifier POSTs the signed result
  --metadata K=V           echoed on the result and callback (repeatable)
  --stream                 ask for a stream_url (realtime only)
  --idempotency-key K      default: a fresh UUID (every call a new job)
  --correlation-id ID      correlation id carried through the whole pipeline
  -w, --watch              then follow the job like 'pipeline jobs get --watch'
${WATCH_HELP}
  -f, --follow             implies --stream; then print the answer live like 'pipeline jobs
                           get --follow' (stdout gets only the answer: the submission goes to
                           stderr; with --json the submission is the first line). Not with
                           --watch
  --jaeger-url URL         Jaeger UI for the trace link
${URL_HELP}
${API_KEY_HELP}
${JSON_HELP}
${HELP_HELP}

exit status: 0 when accepted (with --watch: when the job succeeded; with --follow: when the
stream ended with its answer), 1 otherwise, 2 on bad flags.

examples:
  export PIPELINE_API_KEY=...
  pipeline send job --prompt "Summarise RFC 9457 in three bullet points"
  pipeline send job --prompt "Translate to French: release notes ..." --mode batch
  pipeline send job -p "Classify this ticket: ..." --callback http://127.0.0.1:8787/hook --watch
  pipeline send job --file submission.json --idempotency-key order-4711
  pipeline send job -p "Write a haiku about Kafka" --follow
`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, options, NAME);
    expectPositionals(positionals, { min: 0, max: 0, command: NAME, what: 'arguments' });
    if (values.prompt === undefined && values.file === undefined) {
      throw new UsageError('give --prompt or --file', `see 'pipeline ${NAME} --help'`);
    }
    const url = ingestUrlFrom(ctx.io.env, values.url);
    const apiKey = apiKeyFrom(ctx.io.env, values['api-key']);
    const until = untilFlag(values.until);
    const intervalMs = durationFlag(values.interval, 'interval') ?? 1000;
    const timeoutMs = durationFlag(values.timeout, 'timeout');
    if (values.watch && values.follow) {
      throw new UsageError(
        '--watch and --follow cannot be combined',
        '--follow prints the answer as it is written, --watch the state until the result',
      );
    }

    let body: Record<string, unknown> = {};
    if (values.file !== undefined) {
      const parsed = parseJsonOrUndefined((await readInput(ctx.io, values.file)).toString('utf8'));
      if (!isRecord(parsed)) throw new UsageError(`${values.file} is not a JSON object`);
      body = parsed;
    }
    const metadata = keyValueFlags(values.metadata, 'metadata');
    const overrides: Record<string, unknown> = {
      prompt: values.prompt,
      system: values.system,
      model: values.model,
      task_class: values['task-class'],
      max_tokens: intFlag(values['max-tokens'], 'max-tokens', { min: 1 }),
      temperature: numberFlag(values.temperature, 'temperature', { min: 0, max: 1 }),
      mode: choiceFlag(values.mode, 'mode', ['realtime', 'batch']),
      callback_url: values.callback,
      stream: values.follow ? true : values.stream,
      metadata:
        Object.keys(metadata).length > 0
          ? { ...(isRecord(body['metadata']) ? body['metadata'] : {}), ...metadata }
          : undefined,
    };
    for (const [k, v] of Object.entries(overrides)) if (v !== undefined) body[k] = v;
    if (values.prompt !== undefined) delete body['messages'];

    const checked = safeParse(jobSubmissionSchema, body);
    if (!checked.ok) {
      throw new UsageError(
        `the job is not valid:\n${checked.error.issues.map((i) => `  ${i.pointer || '/'}: ${i.message}`).join('\n')}`,
      );
    }
    const submission: JobSubmission = checked.value;
    const trace = newTrace();
    const jaeger = jaegerUrlFrom(ctx.io.env, values['jaeger-url']);
    const idempotencyKey = values['idempotency-key'] ?? randomUUID();
    const client = createIngestClient({
      baseUrl: url,
      apiKey,
      fetch: ctx.fetch,
      signal: ctx.signal,
    });
    const { answer, response } = await client.submitJob(submission, {
      idempotencyKey,
      traceparent: trace.traceparent,
      ...(values['correlation-id'] === undefined
        ? {}
        : { correlationId: values['correlation-id'] }),
    });
    const correlationId = answer.headers.get('correlation-id') ?? undefined;

    if (values.json) {
      ctx.out.jsonLine({
        ok: true,
        status: answer.status,
        id: response.id,
        status_url: response.status_url,
        ...(response.stream_url === undefined ? {} : { stream_url: response.stream_url }),
        idempotency_key: idempotencyKey,
        correlation_id: correlationId ?? null,
        trace_id: trace.traceId,
        trace_url: traceLink(jaeger, trace.traceId),
      });
    } else {
      // With --follow, stdout is for the answer only.
      const say = (text: string) => (values.follow ? ctx.out.error(text) : ctx.out.line(text));
      say(`← ${answer.status} accepted  job ${response.id}`);
      say(`  status  ${response.status_url}`);
      if (response.stream_url) say(`  stream  ${response.stream_url}`);
      say(`  trace   ${traceLink(jaeger, trace.traceId)}`);
      if (!values.watch && !values.follow) {
        say(
          `  next    pipeline jobs get ${response.id} ${response.stream_url ? '--follow' : '--watch'}`,
        );
      }
    }
    if (values.follow) {
      const outcome = await followJob(ctx, client, response.id, {
        json: values.json ?? false,
        timeoutMs,
        maxReconnects: DEFAULT_MAX_RECONNECTS,
      });
      if (outcome === 'timeout') throw new CliError(`job ${response.id}: still not done (timeout)`);
      return outcome;
    }
    if (!values.watch) return EXIT.ok;
    if (!values.json) ctx.out.line('');
    const outcome = await watchJob(ctx, client, response.id, {
      intervalMs,
      timeoutMs,
      until: until ?? (submission.callback_url ? 'delivered' : 'result'),
      json: values.json ?? false,
    });
    if (outcome === 'timeout') throw new CliError(`job ${response.id}: still not done (timeout)`);
    return outcome;
  },
};
