import { isJobId, type JobState, type JobStatusResponse } from '@claude-pipeline/schemas';
import { choiceFlag, expectPositionals, intFlag, parseCommandArgs } from '../args.ts';
import { CliError, EXIT, HttpError, UsageError } from '../errors.ts';
import {
  apiKeyFrom,
  createIngestClient,
  ingestUrlFrom,
  type IngestClient,
} from '../http/ingest.client.ts';
import { formatCount, formatMs, indent } from '../output/format.ts';
import { durationFlag } from '../time.ts';
import type { Command, CommandContext } from './command.types.ts';
import { DEFAULT_MAX_RECONNECTS, followJob } from './jobs-follow.ts';
import {
  API_KEY_HELP,
  API_KEY_OPTION,
  HELP_HELP,
  JSON_HELP,
  JSON_OPTION,
  sleep,
  URL_HELP,
  URL_OPTION,
} from './shared.ts';

const NAME = 'jobs get';

/** How far `--watch` follows a job: to its result, or on to its callback's delivery. */
export type Until = 'result' | 'delivered';

export const WATCH_OPTIONS = {
  until: { type: 'string' },
  interval: { type: 'string' },
  timeout: { type: 'string' },
} as const;

export const WATCH_HELP = `  --until result|delivered
                           with --watch: stop at the result (succeeded/failed, default) or
                           wait on for the callback (delivered/undeliverable)
  --interval DURATION      with --watch: poll period (default 1s)
  --timeout DURATION       with --watch: give up after this long (exit 1); default: never`;

export const untilFlag = (value: string | undefined): Until | undefined =>
  choiceFlag(value, 'until', ['result', 'delivered']);

const options = {
  ...URL_OPTION,
  ...API_KEY_OPTION,
  ...JSON_OPTION,
  ...WATCH_OPTIONS,
  watch: { type: 'boolean', short: 'w' },
  follow: { type: 'boolean', short: 'f' },
  reconnects: { type: 'string' },
} as const;

export const jobsGetCommand: Command = {
  help: `usage: pipeline jobs get ID [--watch | --follow] [flags]

Prints a job's lifecycle state (accepted, queued/batched, processing, succeeded/failed,
delivering, delivered/undeliverable), its attempts and, once there is one, its result. Only the
tenant of the API key sees its jobs (another tenant's id is "not found").

flags:
  -w, --watch              poll and print each change until the job is done
${WATCH_HELP}
  -f, --follow             print the job's answer live as Claude writes it (a job submitted
                           with "stream": true; GET /v1/jobs/:id/stream): text on stdout as it
                           arrives, a tool call as "[tool_use NAME] {input}" on its own line.
                           When the worker retries, a note goes to stderr and the new attempt
                           starts on a new line (what was printed of the broken one stays).
                           At the end: a newline, and stop reason and tokens on stderr.
                           A dropped connection is resumed where it stopped (Last-Event-ID):
                           nothing is missed or printed twice. --timeout applies too. Not with
                           --watch (the stream ends with the answer; --watch follows the state
                           on to the result and the delivery)
  --reconnects N           with --follow: reconnects in a row without any event before
                           giving up (default ${DEFAULT_MAX_RECONNECTS}); the wait starts at the
                           server's retry (1 s) and doubles, at most 30 s
${URL_HELP}
${API_KEY_HELP}
${JSON_HELP}
                       (--watch: one JSON status per line; --follow: one JSON
                       object per event, {"id", "event", "data"})
${HELP_HELP}

exit status: 0 when the status was read (with --watch: when the job succeeded or was
delivered; with --follow: when the stream ended with its answer), 1 when the job is not
found, failed, was undeliverable, the stream could not be resumed or --timeout passed, 2 on
bad flags, 130 when interrupted.

examples:
  pipeline jobs get 5Jq3x0vVx1b5Gm0Yt0uQ7Yw1pD2aPH1Xx3bR9k8s2tE
  pipeline jobs get 5Jq3x0vV... --watch --until delivered --timeout 2m
  pipeline jobs get 5Jq3x0vV... --json | jq .result.content[0].text
  pipeline jobs get 5Jq3x0vV... --follow
  pipeline jobs get 5Jq3x0vV... --follow --json | jq -j 'select(.event == "delta") | .data.delta.text // empty'
`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, options, NAME);
    expectPositionals(positionals, { min: 1, max: 1, command: NAME, what: 'job id' });
    const id = positionals[0] ?? '';
    if (!isJobId(id)) {
      throw new UsageError(`"${id}" is not a job id (letters, digits, "-" and "_", at most 64)`);
    }
    if (values.watch && values.follow) {
      throw new UsageError(
        '--watch and --follow cannot be combined',
        '--follow prints the answer as it is written, --watch the state until the result',
      );
    }
    const maxReconnects =
      intFlag(values.reconnects, 'reconnects', { min: 0, max: 1000 }) ?? DEFAULT_MAX_RECONNECTS;
    const until = untilFlag(values.until) ?? 'result';
    const intervalMs = durationFlag(values.interval, 'interval') ?? 1000;
    const timeoutMs = durationFlag(values.timeout, 'timeout');
    const client = createIngestClient({
      baseUrl: ingestUrlFrom(ctx.io.env, values.url),
      apiKey: apiKeyFrom(ctx.io.env, values['api-key']),
      fetch: ctx.fetch,
      signal: ctx.signal,
    });
    if (values.follow) {
      const outcome = await followJob(ctx, client, id, {
        json: values.json ?? false,
        timeoutMs,
        maxReconnects,
      });
      if (outcome === 'timeout') throw new CliError(`job ${id}: stream not done within --timeout`);
      return outcome;
    }
    if (values.watch) {
      const outcome = await watchJob(ctx, client, id, {
        intervalMs,
        timeoutMs,
        until,
        json: values.json ?? false,
      });
      if (outcome === 'timeout') throw new CliError(`job ${id}: not done within --timeout`);
      return outcome;
    }
    const status = await client.getJob(id);
    if (status === undefined) {
      throw new CliError(`job ${id} not found`, {
        hint: "a job is visible only to its own tenant (the API key's)",
      });
    }
    if (values.json) ctx.out.json(status);
    else ctx.out.line(renderStatus(status));
    return EXIT.ok;
  },
};

export interface WatchOptions {
  intervalMs: number;
  timeoutMs: number | undefined;
  until: Until;
  json: boolean;
}

const RESULT_STATES: readonly JobState[] = ['succeeded', 'failed'];
const DELIVERY_END: readonly JobState[] = ['delivered', 'undeliverable'];

/** Whether watching stops at this state. */
export function watchDone(state: JobState, until: Until): boolean {
  if (DELIVERY_END.includes(state)) return true;
  return until === 'result' && RESULT_STATES.includes(state);
}

/** Exit code for a final state: success only for `succeeded` and `delivered`. */
export const exitCodeForState = (state: JobState): number =>
  state === 'succeeded' || state === 'delivered' ? EXIT.ok : EXIT.failure;

/**
 * Polls the job until `watchDone`, printing each change (state, generation, attempts); returns
 * the exit code, or 'timeout'. Ingest being briefly unreachable or the job not visible yet (the
 * status view lags the submission a little) is waited out, not reported as a failure.
 */
export async function watchJob(
  ctx: CommandContext,
  client: IngestClient,
  id: string,
  options: WatchOptions,
): Promise<number | 'timeout'> {
  const deadline = options.timeoutMs === undefined ? Infinity : ctx.now() + options.timeoutMs;
  let last = '';
  let notFoundSaid = false;
  let unreachableSaid = false;
  for (;;) {
    if (ctx.signal.aborted) return EXIT.interrupted;
    let status: JobStatusResponse | undefined;
    try {
      status = await client.getJob(id);
      unreachableSaid = false;
    } catch (error) {
      if (ctx.signal.aborted) return EXIT.interrupted;
      if (error instanceof HttpError || !(error instanceof CliError)) throw error;
      if (!unreachableSaid) ctx.out.error(`pipeline: ${error.message} (retrying)`);
      unreachableSaid = true;
    }
    if (status === undefined && !unreachableSaid && !notFoundSaid) {
      if (!options.json) ctx.out.error(`job ${id}: not found (yet); waiting`);
      notFoundSaid = true;
    }
    if (status !== undefined) {
      const key = `${status.generation}/${status.state}/${status.attempts.length}`;
      if (key !== last) {
        last = key;
        if (options.json) ctx.out.jsonLine(status);
        else ctx.out.line(changeLine(status));
      }
      if (watchDone(status.state, options.until)) {
        if (!options.json) ctx.out.line(`\n${renderStatus(status)}`);
        return exitCodeForState(status.state);
      }
    }
    const left = deadline - ctx.now();
    if (left <= 0) return 'timeout';
    await sleep(Math.min(options.intervalMs, left), ctx.signal);
  }
}

function changeLine(status: JobStatusResponse): string {
  const time = status.updated_at.slice(11, 19);
  const attempt = status.attempts[status.attempts.length - 1];
  const note = attempt
    ? `  (${attempt.kind} #${attempt.number} ${attempt.outcome}${attempt.error ? `: ${attempt.error.class}: ${attempt.error.message}` : ''}${attempt.http_status ? `, HTTP ${attempt.http_status}` : ''})`
    : '';
  return `${time}  ${status.state.padEnd(13)} generation ${status.generation}${note}`;
}

/** The human view of a job status. */
export function renderStatus(status: JobStatusResponse): string {
  const lines = [
    `job          ${status.id}`,
    `state        ${status.state}  (generation ${status.generation}, ${status.mode}, updated ${status.updated_at})`,
    `correlation  ${status.correlation_id}`,
  ];
  if (status.batch_id) lines.push(`batch        ${status.batch_id}`);
  status.attempts.forEach((a, i) => {
    const error = a.error ? `: ${a.error.class}: ${a.error.message}` : '';
    const http = a.http_status ? ` HTTP ${a.http_status}` : '';
    lines.push(
      `${i === 0 ? 'attempts     ' : '             '}${a.at}  ${a.kind} #${a.number} ${a.outcome}${http}${error}`,
    );
  });
  const r = status.result;
  if (r?.status === 'succeeded') {
    const cache = r.usage.cache_read_input_tokens + r.usage.cache_creation_input_tokens;
    lines.push(
      `result       succeeded · ${r.model} (${r.tier}) · ${r.stop_reason} · ` +
        `${formatCount(r.usage.input_tokens)} in / ${formatCount(r.usage.output_tokens)} out tokens` +
        `${cache > 0 ? ` (cache read ${formatCount(r.usage.cache_read_input_tokens)}, written ${formatCount(r.usage.cache_creation_input_tokens)})` : ''}` +
        ` · $${r.cost_estimate_usd.toFixed(4)} · ${formatMs(r.latency_ms)} · ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`,
    );
    for (const block of r.content) {
      lines.push('');
      lines.push(indent(block.type === 'text' ? block.text : JSON.stringify(block, null, 2), 2));
    }
  } else if (r?.status === 'failed') {
    lines.push(
      `result       failed · ${r.error.class}${r.error.code ? ` (${r.error.code})` : ''}: ${r.error.message}` +
        ` · ${r.error.retriable ? 'retriable' : 'not retriable'} · ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`,
    );
  }
  return lines.join('\n');
}
