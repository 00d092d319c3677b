import { wantsHelp } from './args.ts';
import type { CliIo } from './cli.io.ts';
import { printerFor } from './cli.io.ts';
import type { Command, CommandContext, CommandGroup } from './commands/command.types.ts';
import { EXIT, isCliError, reasonOf } from './errors.ts';

/**
 * `pipeline <command> [<subcommand>] [flags]`: finds the command, handles `--help` and
 * `--version`, runs it and turns every failure into a message on stderr and an exit code.
 * Nothing here touches `process`: main.ts passes the streams, env and Ctrl-C signal.
 * A command's module is loaded only when it runs: the HTTP commands never load kafkajs.
 */
export interface CommandEntry {
  /** Words after `pipeline`: `['dlq', 'redrive']`. */
  path: readonly string[];
  /** One line for the command list. */
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    path: ['send', 'webhook'],
    summary:
      'post a webhook signed as its provider would (GitHub, Stripe, Standard Webhooks, Anthropic)',
    load: async () => (await import('./commands/send-webhook.command.ts')).sendWebhookCommand,
  },
  {
    path: ['send', 'job'],
    summary: 'submit a job through the API (POST /v1/jobs)',
    load: async () => (await import('./commands/send-job.command.ts')).sendJobCommand,
  },
  {
    path: ['listen'],
    summary: 'receive callbacks, verify their signatures and print each delivery',
    load: async () => (await import('./commands/listen.command.ts')).listenCommand,
  },
  {
    path: ['jobs', 'get'],
    summary: "a job's state and result; --watch follows it, --follow prints its live answer",
    load: async () => (await import('./commands/jobs-get.command.ts')).jobsGetCommand,
  },
  {
    path: ['topics', 'list'],
    summary: 'every pipeline topic: partitions, records, lag per consumer group',
    load: async () => (await import('./commands/topics.command.ts')).topicsListCommand,
  },
  {
    path: ['topics', 'describe'],
    summary: 'one topic: partitions, offsets, configs, lag per group and partition',
    load: async () => (await import('./commands/topics.command.ts')).topicsDescribeCommand,
  },
  {
    path: ['topics', 'provision'],
    summary: 'create the missing topics of the catalog; report any that differ',
    load: async () => (await import('./commands/topics.command.ts')).topicsProvisionCommand,
  },
  {
    path: ['dlq', 'list'],
    summary: 'dead letters of every (or one) service, with filters',
    load: async () => (await import('./commands/dlq.command.ts')).dlqListCommand,
  },
  {
    path: ['dlq', 'show'],
    summary: 'dead letters in full: error, origin, headers, key and value',
    load: async () => (await import('./commands/dlq.command.ts')).dlqShowCommand,
  },
  {
    path: ['dlq', 'redrive'],
    summary: 'send dead letters back to their source topic, generation raised',
    load: async () => (await import('./commands/dlq.command.ts')).dlqRedriveCommand,
  },
  {
    path: ['demo'],
    summary: 'jobs and webhooks through a running stack: results and trace links',
    load: async () => (await import('./commands/demo.command.ts')).demoCommand,
  },
];

const GROUPS: readonly CommandGroup[] = [
  { name: 'send', summary: 'send a signed webhook or a job to ingest' },
  { name: 'jobs', summary: 'follow jobs' },
  { name: 'topics', summary: 'inspect and provision topics' },
  { name: 'dlq', summary: 'list, show and redrive dead letters' },
];

export function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.path.join(' ').length)) + 2;
  const lines = COMMANDS.map((c) => `  ${c.path.join(' ').padEnd(width)}${c.summary}`);
  return `usage: pipeline <command> [flags]

The command line of claude-pipeline: send signed webhooks and jobs, receive and verify
callbacks, follow jobs, inspect topics and lag, and redrive dead letters.

commands:
${lines.join('\n')}

Every command takes --help; most take --json. Exit status: 0 ok, 1 failed, 2 bad usage.

environment:
  PIPELINE_URL                 ingest base URL (default http://127.0.0.1:8080)
  PIPELINE_API_KEY             API key for jobs (a key of INGEST_API_KEYS)
  PIPELINE_WEBHOOK_SECRET[_<SOURCE>]  webhook signing secret(s) for 'send webhook'
  PIPELINE_CALLBACK_SECRET     callback verification secret(s) for 'listen' and 'demo'
  PIPELINE_JAEGER_URL          Jaeger UI for trace links (default http://127.0.0.1:16686)
  KAFKA_BROKERS, KAFKA_TOPIC_PREFIX, KAFKA_SSL*, KAFKA_SASL_*   the cluster (as the services)
  PIPELINE_DEBUG=1             stack traces and kafkajs logs

get started: npm start, then 'npx pipeline demo'.`;
}

function groupHelp(group: CommandGroup): string {
  const commands = COMMANDS.filter((c) => c.path[0] === group.name);
  const width = Math.max(...commands.map((c) => c.path.join(' ').length)) + 2;
  return `usage: pipeline ${group.name} <command> [flags]

${group.summary}:
${commands.map((c) => `  ${c.path.join(' ').padEnd(width)}${c.summary}`).join('\n')}

'pipeline ${group.name} <command> --help' describes one.`;
}

/** The command whose path starts `argv`, and the arguments after it. */
export function findCommand(
  argv: readonly string[],
): { entry: CommandEntry; rest: readonly string[] } | undefined {
  const matches = COMMANDS.filter((c) => c.path.every((word, i) => argv[i] === word));
  const best = matches.sort((a, b) => b.path.length - a.path.length)[0];
  return best ? { entry: best, rest: argv.slice(best.path.length) } : undefined;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const out = printerFor(io);
  const signal = io.signal ?? new AbortController().signal;
  const ctx: CommandContext = {
    io,
    out,
    now: io.now ?? Date.now,
    fetch: io.fetch ?? fetch,
    signal,
  };
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h') {
    out.line(topLevelHelp());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === '-V' || first === 'version') {
    out.line(io.version ?? 'unknown');
    return EXIT.ok;
  }
  if (first === 'help') return help(argv.slice(1), ctx);

  const found = findCommand(argv);
  if (!found) {
    const group = GROUPS.find((g) => g.name === first);
    if (group) {
      const sub = argv[1];
      if (sub === undefined || sub === '--help' || sub === '-h') {
        out.line(groupHelp(group));
        return sub === undefined ? EXIT.usage : EXIT.ok;
      }
      out.error(`pipeline: unknown command '${group.name} ${sub}'\n\n${groupHelp(group)}`);
      return EXIT.usage;
    }
    out.error(`pipeline: unknown command '${first}'; see 'pipeline --help'`);
    return EXIT.usage;
  }
  const { entry, rest } = found;
  try {
    const command = await entry.load();
    if (wantsHelp(rest)) {
      out.line(command.help.trimEnd());
      return EXIT.ok;
    }
    return await command.run(rest, ctx);
  } catch (error) {
    return report(error, ctx);
  }
}

async function help(words: readonly string[], ctx: CommandContext): Promise<number> {
  if (words.length === 0) {
    ctx.out.line(topLevelHelp());
    return EXIT.ok;
  }
  const found = findCommand(words);
  if (found && found.rest.length === 0) {
    ctx.out.line((await found.entry.load()).help.trimEnd());
    return EXIT.ok;
  }
  const group = GROUPS.find((g) => g.name === words[0]);
  if (group && words.length === 1) {
    ctx.out.line(groupHelp(group));
    return EXIT.ok;
  }
  ctx.out.error(`pipeline: no help for '${words.join(' ')}'; see 'pipeline --help'`);
  return EXIT.usage;
}

function report(error: unknown, ctx: CommandContext): number {
  if (ctx.signal.aborted && !isCliError(error)) return EXIT.interrupted;
  if (isCliError(error)) {
    ctx.out.error(`pipeline: ${error.message}`);
    if (error.hint) ctx.out.error(`hint: ${error.hint}`);
    if (ctx.io.env['PIPELINE_DEBUG'] && error.cause instanceof Error && error.cause.stack) {
      ctx.out.error(error.cause.stack);
    }
    return error.exitCode;
  }
  ctx.out.error(`pipeline: ${reasonOf(error)}`);
  if (ctx.io.env['PIPELINE_DEBUG'] && error instanceof Error && error.stack) {
    ctx.out.error(error.stack);
  } else {
    ctx.out.error('hint: PIPELINE_DEBUG=1 prints the stack trace');
  }
  return EXIT.failure;
}
