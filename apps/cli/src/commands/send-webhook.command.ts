import { choiceFlag, expectPositionals, headerFlags, parseCommandArgs } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { createIngestClient, describeAnswer, ingestUrlFrom } from '../http/ingest.client.ts';
import { jaegerUrlFrom, newTrace, traceLink } from '../http/trace-context.ts';
import { isRecord } from '../output/format.ts';
import {
  buildWebhookRequest,
  PROVIDER_SCHEMES,
  schemeForSource,
  type HmacOptions,
} from '../webhooks/provider-request.ts';
import type { Command } from './command.types.ts';
import {
  HELP_HELP,
  JSON_HELP,
  JSON_OPTION,
  readInput,
  URL_HELP,
  URL_OPTION,
  webhookSecretsFor,
} from './shared.ts';

const NAME = 'send webhook';

const options = {
  ...URL_OPTION,
  ...JSON_OPTION,
  source: { type: 'string' },
  scheme: { type: 'string' },
  event: { type: 'string' },
  file: { type: 'string' },
  data: { type: 'string' },
  secret: { type: 'string', multiple: true },
  id: { type: 'string' },
  unsigned: { type: 'boolean' },
  header: { type: 'string', multiple: true },
  'correlation-id': { type: 'string' },
  'hmac-header': { type: 'string' },
  'hmac-prefix': { type: 'string' },
  'hmac-encoding': { type: 'string' },
  'hmac-algorithm': { type: 'string' },
  'hmac-timestamp-header': { type: 'string' },
  'jaeger-url': { type: 'string' },
} as const;

export const sendWebhookCommand: Command = {
  help: `usage: pipeline send webhook --source NAME [--event TYPE] [--file PAYLOAD.json] [flags]

Posts a webhook to ingest (POST /v1/webhooks/NAME) with the headers and signature the
provider would send: GitHub X-Hub-Signature-256 + X-GitHub-Event + X-GitHub-Delivery;
Stripe Stripe-Signature (the event id in the body is the delivery id); Standard Webhooks
webhook-id/-timestamp/-signature; Anthropic = Standard Webhooks with Anthropic's event shape.
The body is sent byte for byte as read. Without --file/--data a realistic sample payload
for the event is sent (GitHub pull_request, issues, push; any Stripe or Anthropic type).

flags:
  --source NAME        webhook source configured in ingest (required)
  --scheme SCHEME      ${PROVIDER_SCHEMES.join(' | ')}; default: the source's
                       name when it is github, stripe or anthropic, else standard-webhooks
  --event TYPE         event type (GitHub: X-GitHub-Event, required with --file; others:
                       the payload's type, which it must match); for a sample payload the
                       default is pull_request, charge.dispute.created or session.idled
  --file PATH          payload file, sent verbatim ('-' reads stdin)
  --data JSON          payload text, sent verbatim
  --secret SECRET      signing secret (repeatable: signs with each, for rotation); default
                       $PIPELINE_WEBHOOK_SECRET_<SOURCE> or $PIPELINE_WEBHOOK_SECRET
  --id ID              delivery id / webhook-id (default: a fresh one, so it is not a repeat)
  --unsigned           send without a signature (expect a 401)
  --header 'N: V'      extra header (repeatable; overrides the provider's)
  --correlation-id ID  correlation id header
  --hmac-header H, --hmac-prefix P, --hmac-encoding hex|base64, --hmac-algorithm sha256|sha1|sha512,
  --hmac-timestamp-header H
                       the signature shape for --scheme hmac
  --jaeger-url URL     Jaeger UI for the trace link (default $PIPELINE_JAEGER_URL or
                       http://127.0.0.1:16686)
${URL_HELP}
${JSON_HELP}
${HELP_HELP}

exit status: 0 when ingest answered 2xx (202 accepted, 200 ignored), 1 otherwise, 2 on bad flags.

examples:
  export PIPELINE_WEBHOOK_SECRET_GITHUB=my-github-secret
  pipeline send webhook --source github --event pull_request
  pipeline send webhook --source github --event pull_request --file payload.json
  pipeline send webhook --source stripe --file evt.json --secret whsec_...
  pipeline send webhook --source anthropic --event session.idled
  pipeline send webhook --source github --unsigned       # see ingest's 401
`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, options, NAME);
    expectPositionals(positionals, { min: 0, max: 0, command: NAME, what: 'arguments' });
    const source = values.source;
    if (source === undefined || source === '') {
      throw new UsageError('--source is required', `see 'pipeline ${NAME} --help'`);
    }
    if (values.file !== undefined && values.data !== undefined) {
      throw new UsageError('give --file or --data, not both');
    }
    const scheme = choiceFlag(values.scheme, 'scheme', PROVIDER_SCHEMES) ?? schemeForSource(source);
    const url = ingestUrlFrom(ctx.io.env, values.url);
    const body =
      values.file !== undefined
        ? await readInput(ctx.io, values.file)
        : values.data !== undefined
          ? Buffer.from(values.data)
          : undefined;
    const hmac = hmacOptions(values);
    const request = buildWebhookRequest({
      scheme,
      event: values.event,
      body,
      secrets: values.unsigned ? [] : webhookSecretsFor(ctx.io.env, source, values.secret),
      unsigned: values.unsigned ?? false,
      id: values.id,
      hmac,
      extraHeaders: headerFlags(values.header),
      now: ctx.now,
    });
    const trace = newTrace();
    request.headers['traceparent'] = trace.traceparent;
    if (values['correlation-id'] !== undefined) {
      request.headers['correlation-id'] = values['correlation-id'];
    }

    const client = createIngestClient({ baseUrl: url, fetch: ctx.fetch, signal: ctx.signal });
    const answer = await client.postWebhook(source, request.body, request.headers);
    const ok = answer.status >= 200 && answer.status < 300;
    const jaeger = jaegerUrlFrom(ctx.io.env, values['jaeger-url']);
    const jobId =
      isRecord(answer.body) && typeof answer.body['id'] === 'string'
        ? answer.body['id']
        : undefined;

    if (values.json) {
      ctx.out.json({
        ok,
        request: {
          url: `${url}/v1/webhooks/${source}`,
          source,
          scheme,
          event: request.event ?? null,
          delivery_id: request.deliveryId ?? null,
          signed: !values.unsigned,
          headers: request.headers,
          bytes: request.body.length,
        },
        response: { status: answer.status, body: answer.body },
        job_id: jobId ?? null,
        trace_id: trace.traceId,
        trace_url: traceLink(jaeger, trace.traceId),
      });
    } else {
      ctx.out.line(
        `→ POST ${url}/v1/webhooks/${source}  ${scheme}${request.event ? ` ${request.event}` : ''}` +
          `${request.deliveryId ? `  delivery ${request.deliveryId}` : ''}${values.unsigned ? '  (unsigned)' : ''}`,
      );
      if (ok) {
        const status = isRecord(answer.body) ? answer.body['status'] : undefined;
        if (status === 'ignored') {
          const reason = isRecord(answer.body) ? String(answer.body['reason'] ?? '') : '';
          ctx.out.line(`← ${answer.status} ignored${reason ? `: ${reason}` : ''}`);
        } else {
          ctx.out.line(`← ${answer.status} ${status ?? 'ok'}${jobId ? `  job ${jobId}` : ''}`);
        }
        ctx.out.line(`  trace  ${traceLink(jaeger, trace.traceId)}`);
        if (jobId) ctx.out.line(`  next   pipeline jobs get ${jobId} --watch`);
      } else {
        ctx.out.line(`← ${answer.status}`);
      }
    }
    if (!ok) {
      ctx.out.error(`pipeline: webhook rejected: ${describeAnswer(answer)}`);
      return EXIT.failure;
    }
    return EXIT.ok;
  },
};

function hmacOptions(values: {
  'hmac-header'?: string | undefined;
  'hmac-prefix'?: string | undefined;
  'hmac-encoding'?: string | undefined;
  'hmac-algorithm'?: string | undefined;
  'hmac-timestamp-header'?: string | undefined;
}): HmacOptions | undefined {
  const header = values['hmac-header'];
  if (header === undefined) return undefined;
  const options: HmacOptions = {
    header,
    encoding: choiceFlag(values['hmac-encoding'], 'hmac-encoding', ['hex', 'base64']) ?? 'hex',
  };
  const algorithm = choiceFlag(values['hmac-algorithm'], 'hmac-algorithm', [
    'sha256',
    'sha1',
    'sha512',
  ]);
  if (algorithm !== undefined) options.algorithm = algorithm;
  if (values['hmac-prefix'] !== undefined) options.prefix = values['hmac-prefix'];
  if (values['hmac-timestamp-header'] !== undefined) {
    options.timestampHeader = values['hmac-timestamp-header'];
  }
  return options;
}
