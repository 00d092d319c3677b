import kafkajs from 'kafkajs';
import { provisionTopics } from '@claude-pipeline/kafka';
import { expectPositionals, parseCommandArgs } from '../args.ts';
import { CliError, EXIT } from '../errors.ts';
import { resolveTopicName, withKafka } from '../kafka/kafka.context.ts';
import { collectTopicStats, type TopicStats } from '../kafka/topic-stats.ts';
import { formatCount, formatRetention } from '../output/format.ts';
import { renderTable } from '../output/table.ts';
import type { Command } from './command.types.ts';
import { HELP_HELP, JSON_HELP, JSON_OPTION } from './shared.ts';

const { ConfigResourceTypes } = kafkajs;

const GROUP_OPTIONS = { ...JSON_OPTION, 'all-groups': { type: 'boolean' } } as const;

const GROUPS_HELP = `  --all-groups         lag of every consumer group of the cluster, not only the pipeline's
                       (<prefix>.<service>...)`;

/** The pipeline's services name their groups `<prefix>.<service>[.<anything>]`. */
const groupFilterFor = (prefix: string, all: boolean | undefined) =>
  all ? () => true : (groupId: string) => groupId.startsWith(`${prefix}.`);

const KAFKA_ENV_HELP = `environment: KAFKA_BROKERS (default 127.0.0.1:9092), KAFKA_TOPIC_PREFIX (default pipeline),
KAFKA_TOPIC_PARTITIONS, KAFKA_TOPIC_AUX_PARTITIONS, KAFKA_REPLICATION_FACTOR, KAFKA_SSL*,
KAFKA_SASL_* (the same variables as the services).`;

export const topicsListCommand: Command = {
  help: `usage: pipeline topics list [--all-groups] [--json]

Lists the topics of the catalog (KAFKA_TOPIC_PREFIX) with their partitions, record count
(high watermark minus log start, summed over partitions; an upper bound on compacted topics;
kafkajs cannot read sizes in bytes), cleanup policy and retention, then every consumer group
of the pipeline with committed offsets on them: its state, members and lag per topic.

flags:
${GROUPS_HELP}
${JSON_HELP}
${HELP_HELP}

${KAFKA_ENV_HELP}

examples:
  pipeline topics list
  KAFKA_TOPIC_PREFIX=staging pipeline topics list --json | jq '.topics[] | {topic, records}'
`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, GROUP_OPTIONS, 'topics list');
    expectPositionals(positionals, { min: 0, max: 0, command: 'topics list', what: 'arguments' });
    return withKafka(ctx.io.env, async ({ admin, catalog }) => {
      const stats = await collectTopicStats(
        admin,
        catalog.topics.map((t) => t.name),
        { groupFilter: groupFilterFor(catalog.names.prefix, values['all-groups']) },
      );
      if (values.json) {
        ctx.out.json({
          prefix: catalog.names.prefix,
          topics: stats.map((s) => ({
            topic: s.topic,
            role: catalog.get(s.topic)?.role,
            exists: s.exists,
            partitions: s.partitions,
            records: s.records,
            groups: s.groups.map((g) => ({
              group: g.groupId,
              state: g.state,
              members: g.members,
              lag: g.lag,
            })),
          })),
        });
        return EXIT.ok;
      }
      ctx.out.line(
        renderTable(
          [
            { header: 'TOPIC' },
            { header: 'PARTITIONS', align: 'right' },
            { header: 'RECORDS', align: 'right' },
            { header: 'CLEANUP' },
            { header: 'RETENTION' },
            { header: 'LAG', align: 'right' },
          ],
          stats.map((s) => {
            const spec = catalog.get(s.topic);
            return [
              s.topic,
              s.exists ? String(s.partitions) : 'missing',
              s.exists ? formatCount(s.records) : '-',
              spec?.configs['cleanup.policy'] ?? '-',
              formatRetention(spec?.configs['retention.ms']),
              s.groups.length === 0
                ? '-'
                : formatCount(s.groups.reduce((sum, g) => sum + g.lag, 0)),
            ];
          }),
        ),
      );
      const groups = stats.flatMap((s) => s.groups);
      ctx.out.line('');
      if (groups.length === 0)
        ctx.out.line('no consumer group has committed offsets on these topics');
      else ctx.out.line(renderGroups(stats));
      const missing = stats.filter((s) => !s.exists).length;
      if (missing > 0) {
        ctx.out.error(`${missing} topic(s) missing: run 'pipeline topics provision'`);
      }
      return EXIT.ok;
    });
  },
};

function renderGroups(stats: readonly TopicStats[]): string {
  return renderTable(
    [
      { header: 'GROUP' },
      { header: 'STATE' },
      { header: 'MEMBERS', align: 'right' },
      { header: 'TOPIC' },
      { header: 'LAG', align: 'right' },
    ],
    stats
      .flatMap((s) => s.groups)
      .sort((a, b) => a.groupId.localeCompare(b.groupId) || a.topic.localeCompare(b.topic))
      .map((g) => [g.groupId, g.state, String(g.members), g.topic, formatCount(g.lag)]),
  );
}

export const topicsDescribeCommand: Command = {
  help: `usage: pipeline topics describe TOPIC [--all-groups] [--json]

TOPIC is a full name or the part after the prefix (jobs, claude-worker.dlq).

flags:
${GROUPS_HELP}
${JSON_HELP}
${HELP_HELP}

${KAFKA_ENV_HELP}

examples:
  pipeline topics describe jobs
  pipeline topics describe pipeline.claude-worker.dlq --json
`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, GROUP_OPTIONS, 'topics describe');
    expectPositionals(positionals, { min: 1, max: 1, command: 'topics describe', what: 'topic' });
    return withKafka(ctx.io.env, async ({ admin, catalog }) => {
      const topic = resolveTopicName(catalog, positionals[0] ?? '');
      const [stats] = await collectTopicStats(admin, [topic], {
        groupFilter: groupFilterFor(catalog.names.prefix, values['all-groups']),
      });
      if (!stats?.exists) {
        throw new CliError(`topic ${topic} does not exist`, {
          hint: catalog.get(topic)
            ? "run 'pipeline topics provision'"
            : "see 'pipeline topics list'",
        });
      }
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = metadata.topics[0]?.partitions ?? [];
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      });
      const spec = catalog.get(topic);
      const configs = (described.resources[0]?.configEntries ?? [])
        .filter((e) => !e.isDefault || spec?.configs[e.configName] !== undefined)
        .map((e) => ({
          name: e.configName,
          value: e.configValue,
          catalog: spec?.configs[e.configName],
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
      const offsetsByPartition = new Map(stats.offsets.map((o) => [o.partition, o]));
      const partitionRows = partitions
        .map((p) => ({
          partition: p.partitionId,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
          low: offsetsByPartition.get(p.partitionId)?.low ?? 0,
          high: offsetsByPartition.get(p.partitionId)?.high ?? 0,
          records: offsetsByPartition.get(p.partitionId)?.records ?? 0,
        }))
        .sort((a, b) => a.partition - b.partition);

      if (values.json) {
        ctx.out.json({
          topic,
          catalog: spec
            ? {
                role: spec.role,
                key: spec.key,
                description: spec.description,
                partitions: spec.partitions,
                configs: spec.configs,
              }
            : null,
          partitions: partitionRows,
          records: stats.records,
          configs,
          groups: stats.groups,
        });
        return EXIT.ok;
      }
      ctx.out.line(`topic        ${topic}`);
      if (spec) {
        ctx.out.line(`role         ${spec.role}${spec.service ? ` (${spec.service})` : ''}`);
        ctx.out.line(`key          ${spec.key}`);
        ctx.out.line(`about        ${spec.description}`);
      } else {
        ctx.out.line('role         (not in the catalog)');
      }
      ctx.out.line(
        `records      ${formatCount(stats.records)} in ${partitionRows.length} partitions`,
      );
      ctx.out.line('');
      ctx.out.line(
        renderTable(
          [
            { header: 'PARTITION', align: 'right' },
            { header: 'LEADER', align: 'right' },
            { header: 'REPLICAS' },
            { header: 'ISR' },
            { header: 'LOW', align: 'right' },
            { header: 'HIGH', align: 'right' },
            { header: 'RECORDS', align: 'right' },
          ],
          partitionRows.map((p) => [
            String(p.partition),
            String(p.leader),
            p.replicas.join(','),
            p.isr.join(','),
            String(p.low),
            String(p.high),
            formatCount(p.records),
          ]),
        ),
      );
      ctx.out.line('');
      ctx.out.line(
        renderTable(
          [{ header: 'CONFIG' }, { header: 'VALUE' }, { header: 'CATALOG' }],
          configs.map((c) => [
            c.name,
            c.value,
            c.catalog === undefined ? '' : c.catalog === c.value ? 'ok' : `differs: ${c.catalog}`,
          ]),
        ),
      );
      ctx.out.line('');
      if (stats.groups.length === 0) {
        ctx.out.line('no consumer group has committed offsets on this topic');
      } else {
        ctx.out.line(
          renderTable(
            [
              { header: 'GROUP' },
              { header: 'STATE' },
              { header: 'PARTITION', align: 'right' },
              { header: 'COMMITTED', align: 'right' },
              { header: 'HIGH', align: 'right' },
              { header: 'LAG', align: 'right' },
            ],
            stats.groups.flatMap((g) =>
              g.partitions.map((p) => [
                g.groupId,
                g.state,
                String(p.partition),
                p.committed < 0 ? '-' : String(p.committed),
                String(p.high),
                p.lag === undefined ? '-' : formatCount(p.lag),
              ]),
            ),
          ),
        );
      }
      return EXIT.ok;
    });
  },
};

export const topicsProvisionCommand: Command = {
  help: `usage: pipeline topics provision [--dry-run] [--json]

Creates every topic of the catalog that is missing and checks the others (partitions,
replication factor, configs). A difference is reported, never "fixed": changing partitions
re-maps keys, so it is an operator's decision. Same as 'npm run topics'.

flags:
  --dry-run            compare only; create nothing
${JSON_HELP}
${HELP_HELP}

exit status: 0 when every topic matches the catalog, 1 when one differs (or is missing with
--dry-run).

${KAFKA_ENV_HELP}

examples:
  pipeline topics provision --dry-run
  KAFKA_REPLICATION_FACTOR=3 pipeline topics provision
`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...JSON_OPTION, 'dry-run': { type: 'boolean' } },
      'topics provision',
    );
    expectPositionals(positionals, {
      min: 0,
      max: 0,
      command: 'topics provision',
      what: 'arguments',
    });
    return withKafka(ctx.io.env, async ({ admin, catalog }) => {
      const dryRun = values['dry-run'] ?? false;
      const report = await provisionTopics(admin, catalog.topics, { dryRun });
      if (values.json) {
        ctx.out.json({ dry_run: dryRun, ...report });
      } else {
        const mismatched = new Set(report.mismatches.map((m) => m.topic));
        ctx.out.line(
          renderTable(
            [
              { header: 'STATE' },
              { header: 'TOPIC' },
              { header: 'PARTITIONS', align: 'right' },
              { header: 'CLEANUP' },
            ],
            catalog.topics.map((spec) => [
              report.created.includes(spec.name)
                ? 'created'
                : mismatched.has(spec.name)
                  ? 'MISMATCH'
                  : 'ok',
              spec.name,
              String(spec.partitions),
              spec.configs['cleanup.policy'] ?? '',
            ]),
          ),
        );
        for (const m of report.mismatches) ctx.out.error(`pipeline: ${m.topic}: ${m.problem}`);
        ctx.out.line(
          `${catalog.topics.length} topics: ${report.created.length} created, ${report.unchanged.length} unchanged, ${report.mismatches.length} mismatched${dryRun ? ' (dry run)' : ''}`,
        );
      }
      return report.mismatches.length > 0 ? EXIT.failure : EXIT.ok;
    });
  },
};
