import {
  CONSUMING_SERVICES,
  createBatchingProducer,
  listDlq,
  redrive,
  type BatchingProducer,
  type ConsumingService,
  type DlqFilter,
  type DlqRecord,
} from '@claude-pipeline/kafka';
import { expectPositionals, intFlag, parseCommandArgs } from '../args.ts';
import { CliError, EXIT, UsageError } from '../errors.ts';
import {
  dlqRecordView,
  hasBodyGeneration,
  jobIdOf,
  parseRecordRef,
  raiseGeneration,
  recordRef,
  type RecordRef,
} from '../kafka/dlq-records.ts';
import { resolveTopicName, withKafka, type KafkaContext } from '../kafka/kafka.context.ts';
import {
  formatCount,
  formatTime,
  indent,
  parseJsonOrUndefined,
  utf8OrUndefined,
} from '../output/format.ts';
import { createProgress } from '../output/progress.ts';
import { renderTable } from '../output/table.ts';
import { parseTimeFlag } from '../time.ts';
import type { Command, CommandContext } from './command.types.ts';
import { HELP_HELP, JSON_HELP, JSON_OPTION } from './shared.ts';

const FILTER_OPTIONS = {
  ...JSON_OPTION,
  since: { type: 'string' },
  until: { type: 'string' },
  'error-class': { type: 'string' },
  source: { type: 'string' },
  service: { type: 'string', multiple: true },
  limit: { type: 'string' },
} as const;

const FILTER_HELP = `filters (all optional, combined with AND):
  --since T            dead-lettered at or after T: ISO 8601 (2025-01-15T10:00:00Z), epoch ms,
                       or an age (30m, 2h, 7d)
  --until T            dead-lettered before T
  --error-class C      invalid, transient, throttled or account
  --source TOPIC       the topic the record was first consumed from (jobs or pipeline.jobs)
  --service S          whose DLQ: ${CONSUMING_SERVICES.join(', ')} (repeatable; default all)
  --limit N            at most N records (oldest first)`;

const REF_HELP = `REF is a record's coordinates as 'dlq list' prints them: <dlq topic>:<partition>:<offset>.`;

interface FilterValues {
  since?: string | undefined;
  until?: string | undefined;
  'error-class'?: string | undefined;
  source?: string | undefined;
  service?: string[] | undefined;
  limit?: string | undefined;
}

interface Selection {
  records: DlqRecord[];
  /** DLQ topics that were read. */
  topics: string[];
}

/** The record choice of a command, checked before anything connects. */
interface Choice {
  refs: RecordRef[];
  services: ConsumingService[];
  since: number | undefined;
  until: number | undefined;
  errorClass: string | undefined;
  /** As typed: resolved against the catalog once connected. */
  source: string | undefined;
  limit: number | undefined;
}

function parseChoice(values: FilterValues, refTexts: readonly string[], now: () => number): Choice {
  const refs = refTexts.map((text) => {
    const ref = parseRecordRef(text);
    if (!ref)
      throw new UsageError(`"${text}" is not a record ref (<dlq topic>:<partition>:<offset>)`);
    return ref;
  });
  const services = (values.service ?? []).map((s) => {
    if (!(CONSUMING_SERVICES as readonly string[]).includes(s)) {
      throw new UsageError(`--service must be one of ${CONSUMING_SERVICES.join(', ')}, got "${s}"`);
    }
    return s as ConsumingService;
  });
  return {
    refs,
    services,
    since: parseTimeFlag(values.since, 'since', now),
    until: parseTimeFlag(values.until, 'until', now),
    errorClass: values['error-class'],
    source: values.source,
    limit: intFlag(values.limit, 'limit', { min: 1 }),
  };
}

const filtered = (choice: Choice): boolean =>
  choice.since !== undefined ||
  choice.until !== undefined ||
  choice.errorClass !== undefined ||
  choice.source !== undefined;

/** Reads the chosen DLQs (in parallel) and keeps the matching records, oldest first. */
async function selectRecords(
  ctx: CommandContext,
  kafka: KafkaContext,
  choice: Choice,
  json: boolean,
): Promise<Selection> {
  const { refs, services, limit } = choice;
  const names = kafka.catalog.names;
  let topics = (services.length > 0 ? services : CONSUMING_SERVICES).map((s) => names.dlq(s));
  if (refs.length > 0) {
    const refTopics = new Set(refs.map((r) => r.topic));
    topics = [...refTopics].filter((t) => services.length === 0 || topics.includes(t));
  }
  const filter: DlqFilter = {};
  if (choice.since !== undefined) filter.since = choice.since;
  if (choice.until !== undefined) filter.until = choice.until;
  if (choice.errorClass !== undefined) filter.errorClass = choice.errorClass;
  if (choice.source !== undefined) filter.source = resolveTopicName(kafka.catalog, choice.source);
  if (refs.length > 0) {
    const wanted = new Set(refs.map((r) => `${r.topic}:${r.partition}:${r.offset}`));
    filter.where = (r) => wanted.has(recordRef(r));
  }

  const existing = new Set(await kafka.admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (refs.length > 0 && missing.length > 0) {
    throw new CliError(`no such DLQ topic: ${missing.join(', ')}`);
  }
  if (missing.length > 0 && !json) {
    ctx.out.error(`note: ${missing.join(', ')} missing (not provisioned): skipped`);
  }
  const present = topics.filter((t) => existing.has(t));
  const progress = createProgress({
    stream: ctx.io.stderr,
    label: 'reading dead letters',
    total: present.length,
    enabled: !json,
    now: ctx.now,
  });
  let records: DlqRecord[];
  try {
    const lists = await Promise.all(
      present.map(async (topic) => {
        const list = await listDlq(kafka.kafka, topic, filter);
        progress.tick();
        return list;
      }),
    );
    records = lists.flat();
  } finally {
    progress.stop();
  }
  records.sort(
    (a, b) =>
      (a.failedAt ?? 0) - (b.failedAt ?? 0) ||
      a.dlqTopic.localeCompare(b.dlqTopic) ||
      a.partition - b.partition ||
      Number(a.offset) - Number(b.offset),
  );
  if (refs.length > 0) {
    const found = new Set(records.map(recordRef));
    const absent = refs
      .map((r) => `${r.topic}:${r.partition}:${r.offset}`)
      .filter((r) => !found.has(r));
    if (absent.length > 0) {
      throw new CliError(
        `not found${filtered(choice) ? ' (or filtered out)' : ''}: ${absent.join(', ')}`,
      );
    }
  }
  if (limit !== undefined) records = records.slice(0, limit);
  return { records, topics: present };
}

function renderList(records: readonly DlqRecord[]): string {
  return renderTable(
    [
      { header: 'REF' },
      { header: 'FAILED AT' },
      { header: 'CLASS' },
      { header: 'STAGE' },
      { header: 'SOURCE' },
      { header: 'GEN', align: 'right' },
      { header: 'JOB / KEY', max: 24 },
      { header: 'ERROR', max: 80 },
    ],
    records.map((r) => [
      recordRef(r),
      formatTime(r.failedAt),
      r.errorClass ?? '-',
      r.stage ?? '-',
      r.sourceTopic ?? '-',
      String(r.generation),
      jobIdOf(r) ?? utf8OrUndefined(r.key) ?? '-',
      r.errorMessage ?? '-',
    ]),
  );
}

function countByTopic(records: readonly DlqRecord[], key: (r: DlqRecord) => string | undefined) {
  const counts: Record<string, number> = {};
  for (const r of records) {
    const k = key(r) ?? '(none)';
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return Object.entries(counts)
    .map(([k, n]) => `${k} ${formatCount(n)}`)
    .join(', ');
}

export const dlqListCommand: Command = {
  help: `usage: pipeline dlq list [filters] [--json]

Reads the dead-letter topics (<prefix>.<service>.dlq) from the beginning to their current end
and lists the records that match: when and where they died, the error class and message, the
topic they came from and their generation. Reading uses a throwaway consumer group that commits
nothing.

${FILTER_HELP}
${JSON_HELP}
${HELP_HELP}

examples:
  pipeline dlq list
  pipeline dlq list --service claude-worker --error-class transient --since 2h
  pipeline dlq list --source jobs --json | jq -r '.records[].ref'
`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, FILTER_OPTIONS, 'dlq list');
    expectPositionals(positionals, { min: 0, max: 0, command: 'dlq list', what: 'arguments' });
    const json = values.json ?? false;
    const choice = parseChoice(values, [], ctx.now);
    return withKafka(ctx.io.env, async (kafka) => {
      const { records } = await selectRecords(ctx, kafka, choice, json);
      if (json) {
        ctx.out.json({ count: records.length, records: records.map(dlqRecordView) });
        return EXIT.ok;
      }
      if (records.length === 0) {
        ctx.out.line('no dead letters match');
        return EXIT.ok;
      }
      ctx.out.line(renderList(records));
      ctx.out.line('');
      ctx.out.line(
        `${formatCount(records.length)} dead letter${records.length === 1 ? '' : 's'}: ${countByTopic(records, (r) => r.dlqTopic)}`,
      );
      return EXIT.ok;
    });
  },
};

export const dlqShowCommand: Command = {
  help: `usage: pipeline dlq show REF... [filters] [--json]
       pipeline dlq show [filters] [--json]

Prints each chosen dead letter in full: error class, message and stage, original topic,
partition and offset, correlation id, generation, every header, the key and the value (JSON
pretty-printed). ${REF_HELP}

${FILTER_HELP}
${JSON_HELP}
${HELP_HELP}

examples:
  pipeline dlq show pipeline.claude-worker.dlq:0:12
  pipeline dlq show --service notifier --since 1h
`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, FILTER_OPTIONS, 'dlq show');
    const json = values.json ?? false;
    const choice = parseChoice(values, positionals, ctx.now);
    return withKafka(ctx.io.env, async (kafka) => {
      const { records } = await selectRecords(ctx, kafka, choice, json);
      if (json) {
        ctx.out.json({ count: records.length, records: records.map(dlqRecordView) });
        return EXIT.ok;
      }
      if (records.length === 0) {
        ctx.out.line('no dead letters match');
        return EXIT.ok;
      }
      ctx.out.line(records.map(renderRecord).join('\n\n'));
      return EXIT.ok;
    });
  },
};

function renderRecord(record: DlqRecord): string {
  const view = dlqRecordView(record);
  const h = view.headers;
  const origin = [h['pipeline-original-partition'], h['pipeline-original-offset']];
  const pretty = (() => {
    const parsed = parseJsonOrUndefined(utf8OrUndefined(record.value));
    if (parsed !== undefined) return JSON.stringify(parsed, null, 2);
    return view.value === null
      ? '(null)'
      : `${view.value}${view.value_encoding ? ' (base64)' : ''}`;
  })();
  return [
    view.ref,
    `  failed at    ${formatTime(record.failedAt)}`,
    `  error        ${record.errorClass ?? '?'}: ${record.errorMessage ?? '?'}${record.stage ? `  (stage ${record.stage})` : ''}`,
    `  source       ${record.sourceTopic ?? '?'}${origin[0] !== undefined ? ` partition ${origin[0]} offset ${origin[1] ?? '?'}` : ''}`,
    `  correlation  ${record.correlationId ?? '-'}`,
    `  generation   ${record.generation}`,
    `  key          ${view.key ?? '(null)'}`,
    '  headers',
    ...Object.entries(h).map(([k, v]) => `    ${k}: ${v}`),
    '  value',
    indent(pretty, 4),
  ].join('\n');
}

export const dlqRedriveCommand: Command = {
  help: `usage: pipeline dlq redrive [REF...] [filters] [--dry-run] [--json]

Sends every chosen dead letter back to the topic it was first consumed from, so its service
processes it again: the original key and headers (correlation id and trace context kept), the
retry and DLQ headers removed, pipeline-generation raised, and the generation inside the JSON
value raised too (job, result and status records at the top, event records in "job"), so the
new result supersedes the failed one. With no REF and no filter, every dead letter of every
service is redriven: use --dry-run first. Records stay in the DLQ (Kafka cannot delete them);
a second redrive of the same records sends them again, so choose by REF or --since.
${REF_HELP}

flags:
  --dry-run            list what would be redriven, send nothing
${FILTER_HELP}
${JSON_HELP}
${HELP_HELP}

exit status: 0 when every chosen record was redriven, 1 when some could not be (no source
topic header, or a send failed).

examples:
  pipeline dlq redrive --service claude-worker --error-class transient --dry-run
  pipeline dlq redrive --service claude-worker --error-class transient
  pipeline dlq redrive pipeline.claude-worker.dlq:0:12 pipeline.claude-worker.dlq:1:3
`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...FILTER_OPTIONS, 'dry-run': { type: 'boolean' } },
      'dlq redrive',
    );
    const json = values.json ?? false;
    const dryRun = values['dry-run'] ?? false;
    const choice = parseChoice(values, positionals, ctx.now);
    return withKafka(ctx.io.env, async (kafka) => {
      const { records } = await selectRecords(ctx, kafka, choice, json);
      const routable = records.filter((r) => r.sourceTopic !== undefined);
      const unroutable = records.filter((r) => r.sourceTopic === undefined);
      const raised = routable.filter((r) => hasBodyGeneration(r.value)).length;
      const summary = {
        dry_run: dryRun,
        matched: records.length,
        redriven: 0,
        skipped: unroutable.map(recordRef),
        by_topic: {} as Record<string, number>,
        generation_raised_in_value: raised,
        records: routable.map(recordRef),
      };
      if (records.length === 0) {
        if (json) ctx.out.json(summary);
        else ctx.out.line('no dead letters match: nothing to redrive');
        return EXIT.ok;
      }
      if (dryRun) {
        for (const r of routable) {
          const topic = r.sourceTopic ?? '';
          summary.by_topic[topic] = (summary.by_topic[topic] ?? 0) + 1;
        }
        if (json) ctx.out.json(summary);
        else {
          ctx.out.line(renderList(records));
          ctx.out.line('');
          ctx.out.line(
            `dry run: would redrive ${formatCount(routable.length)} of ${formatCount(records.length)} dead letters → ${countByTopic(routable, (r) => r.sourceTopic)}`,
          );
          if (unroutable.length > 0) {
            ctx.out.line(
              `${unroutable.length} cannot be redriven (no source topic header): ${summary.skipped.join(', ')}`,
            );
          }
        }
        return EXIT.ok;
      }

      const raw = kafka.kafka.producer({ idempotent: true });
      await raw.connect();
      const progress = createProgress({
        stream: ctx.io.stderr,
        label: 'redriving',
        total: routable.length,
        enabled: !json,
        now: ctx.now,
      });
      let sent = 0;
      try {
        const batching = createBatchingProducer({ producer: raw });
        const counting: BatchingProducer = {
          get queued() {
            return batching.queued;
          },
          flush: () => batching.flush(),
          send: async (record) => {
            const meta = await batching.send(record);
            sent += 1;
            progress.tick();
            return meta;
          },
        };
        const result = await redrive(routable, {
          producer: counting,
          transformValue: (record, generation) => raiseGeneration(record.value, generation),
          now: ctx.now,
        }).catch((error: unknown) => {
          throw new CliError(
            `redrive failed after ${sent} of ${routable.length} records: ${(error as Error).message}`,
            {
              cause: error,
              hint: 'the records sent are on their source topic; redrive the others by REF',
            },
          );
        });
        await batching.flush();
        summary.redriven = result.redriven;
        summary.by_topic = result.byTopic;
      } finally {
        progress.stop();
        await raw.disconnect().catch(() => undefined);
      }
      if (json) ctx.out.json(summary);
      else {
        ctx.out.line(
          `redriven ${formatCount(summary.redriven)} of ${formatCount(records.length)} dead letters → ${countByTopic(routable, (r) => r.sourceTopic)}` +
            ` (generation raised; in the value too for ${raised})`,
        );
        if (unroutable.length > 0) {
          ctx.out.error(
            `pipeline: ${unroutable.length} not redriven (no source topic header): ${summary.skipped.join(', ')}`,
          );
        }
      }
      return unroutable.length > 0 ? EXIT.failure : EXIT.ok;
    });
  },
};
