import { createVerifier, type WebhookVerifier } from '@claude-pipeline/signing';
import { choiceFlag, expectPositionals, intFlag, parseCommandArgs } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { formatCount, formatMs, formatTime } from '../output/format.ts';
import { truncate } from '../output/table.ts';
import { startCallbackReceiver, type ReceivedRequest } from '../webhooks/callback-receiver.ts';
import type { Command, CommandContext } from './command.types.ts';
import { HELP_HELP, JSON_HELP, JSON_OPTION, splitSecrets } from './shared.ts';

const NAME = 'listen';

const options = {
  ...JSON_OPTION,
  port: { type: 'string' },
  host: { type: 'string' },
  secret: { type: 'string', multiple: true },
  scheme: { type: 'string' },
  status: { type: 'string' },
  'skip-verify': { type: 'boolean' },
  body: { type: 'boolean' },
} as const;

export const listenCommand: Command = {
  help: `usage: pipeline listen [--port 8787] [--secret whsec_...] [flags]

A callback endpoint for local development, like \`stripe listen\`: every POST is verified
(Standard Webhooks by default, as the notifier signs) over its raw bytes; a good one is
answered 200 and printed, a bad or missing signature is answered 401 and printed with the
reason. Repeated deliveries of one webhook-id are marked. Runs until Ctrl-C.
The ready line (with the URL to use as --callback) goes to stderr.

flags:
  --port N             port to listen on (default 8787; 0 picks a free one)
  --host ADDR          address to bind (default 127.0.0.1)
  --secret SECRET      verification secret (repeatable, for rotation); default
                       $PIPELINE_CALLBACK_SECRET (comma-separated for several)
  --scheme SCHEME      standard-webhooks (default), github or stripe
  --status CODE        status to answer verified deliveries (default 200; try 500 to watch
                       the notifier retry)
  --skip-verify        accept everything unverified (no secret needed)
  --body               print each body in full
${JSON_HELP}          (one JSON object per request, per line)
${HELP_HELP}

examples:
  export PIPELINE_CALLBACK_SECRET=whsec_...
  pipeline listen --port 8787
  pipeline send job --prompt "Hello" --callback http://127.0.0.1:8787/hook
  pipeline listen --port 8787 --status 503      # make every delivery fail
`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, options, NAME);
    expectPositionals(positionals, { min: 0, max: 0, command: NAME, what: 'arguments' });
    const port = intFlag(values.port, 'port', { min: 0, max: 65_535 }) ?? 8787;
    const status = intFlag(values.status, 'status', { min: 200, max: 599 }) ?? 200;
    const scheme =
      choiceFlag(values.scheme, 'scheme', ['standard-webhooks', 'github', 'stripe']) ??
      'standard-webhooks';
    const secrets =
      values.secret && values.secret.length > 0
        ? values.secret
        : splitSecrets(ctx.io.env['PIPELINE_CALLBACK_SECRET']);
    let verifier: WebhookVerifier | undefined;
    if (!values['skip-verify']) {
      if (secrets.length === 0) {
        throw new UsageError(
          'no verification secret',
          'pass --secret whsec_... or set PIPELINE_CALLBACK_SECRET (or --skip-verify)',
        );
      }
      verifier = createVerifier({ scheme, secrets, now: ctx.now });
    }
    const receiver = await startCallbackReceiver({
      host: values.host ?? '127.0.0.1',
      port,
      verifier,
      status,
      now: ctx.now,
      onRequest: (request) =>
        values.json
          ? ctx.out.jsonLine(requestJson(request))
          : ctx.out.line(renderRequest(request, values.body ?? false)),
    });
    ctx.out.error(
      `Ready! Listening on ${receiver.url} (${verifier ? `verifying ${scheme} signatures` : 'NOT verifying signatures'}). Ctrl-C stops.`,
    );
    await untilAborted(ctx);
    await receiver.close();
    return EXIT.ok;
  },
};

function untilAborted(ctx: CommandContext): Promise<void> {
  return new Promise((resolve) => {
    if (ctx.signal.aborted) resolve();
    else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** One delivery as a JSON line (`--json`). */
export function requestJson(r: ReceivedRequest) {
  return {
    at: new Date(r.at).toISOString(),
    method: r.method,
    path: r.path,
    status: r.status,
    verified: r.verified,
    ...(r.rejected ? { rejected: r.rejected } : {}),
    webhook_id: r.webhookId ?? null,
    seen: r.seen,
    type: r.payload?.type ?? null,
    job_id: r.payload?.data.job_id ?? null,
    generation: r.payload?.data.generation ?? null,
    ...(r.payloadProblem ? { payload_problem: r.payloadProblem } : {}),
    body: r.json ?? r.body,
  };
}

/** One delivery for a person: a status line, then what the callback says. */
export function renderRequest(r: ReceivedRequest, fullBody: boolean): string {
  const time = formatTime(r.at);
  if (r.rejected) {
    return `${time}  ✗ ${r.method} ${r.path}  → ${r.status}  rejected: ${r.rejected.reason}${r.rejected.header ? ` (${r.rejected.header})` : ''}`;
  }
  const mark = r.verified ? '✓' : '?';
  const repeat = r.seen > 1 ? `  (repeat #${r.seen})` : '';
  const lines: string[] = [];
  if (r.payload) {
    const d = r.payload.data;
    lines.push(
      `${time}  ${mark} ${r.payload.type}  job ${d.job_id} generation ${d.generation}  webhook-id ${r.webhookId ?? '-'}  → ${r.status}${repeat}`,
    );
    const result = d.result;
    if (result.status === 'succeeded') {
      const text = result.content
        .map((b) => (b.type === 'text' ? b.text : `[tool_use ${b.name}]`))
        .join(' ');
      lines.push(
        `      ${result.model} · ${result.stop_reason} · ${formatCount(result.usage.input_tokens)} in / ${formatCount(result.usage.output_tokens)} out · ${formatMs(result.latency_ms)}`,
      );
      lines.push(`      ${fullBody ? text : truncate(text, 160)}`);
    } else {
      lines.push(`      failed · ${result.error.class}: ${result.error.message}`);
    }
  } else {
    lines.push(
      `${time}  ${mark} ${r.method} ${r.path}  webhook-id ${r.webhookId ?? '-'}  → ${r.status}${repeat}`,
    );
    if (r.payloadProblem)
      lines.push(`      not a callback payload: ${truncate(r.payloadProblem, 200)}`);
  }
  if (fullBody) lines.push(JSON.stringify(r.json ?? r.body, null, 2));
  if (!r.verified) lines.push('      (signature NOT verified: --skip-verify)');
  return lines.join('\n');
}
