/**
 * `npm run topics`: create every topic of the catalog on the configured cluster and report any
 * topic whose partitions or configs differ (exit 1). Flags: --dry-run (compare only), --json.
 */
import { parseArgs } from 'node:util';
import { catalogFromSettings } from '../topics/catalog.ts';
import { provisionTopics } from '../topics/provision.ts';
import { kafkaSettingsFromEnv } from '../config.ts';
import { createKafka } from '../client.ts';

const { values } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`usage: npm run topics -- [--dry-run] [--json]

Creates every topic of the pipeline's catalog and checks existing ones (partitions, replication
factor, configs). Exits 1 if any topic differs from the catalog.
Environment: KAFKA_BROKERS (default 127.0.0.1:9092), KAFKA_TOPIC_PREFIX (default pipeline),
KAFKA_TOPIC_PARTITIONS, KAFKA_TOPIC_AUX_PARTITIONS, KAFKA_REPLICATION_FACTOR, KAFKA_SSL*, KAFKA_SASL_*.`);
  process.exit(0);
}

try {
  const settings = kafkaSettingsFromEnv(process.env, { clientId: 'pipeline-topics' });
  const catalog = catalogFromSettings(settings);
  const admin = createKafka({ settings }).admin();
  await admin.connect();
  try {
    const report = await provisionTopics(admin, catalog.topics, { dryRun: values['dry-run'] });
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      for (const spec of catalog.topics) {
        const state = report.created.includes(spec.name)
          ? 'created'
          : report.mismatches.some((m) => m.topic === spec.name)
            ? 'MISMATCH'
            : 'ok';
        console.log(
          `${state.padEnd(9)}${spec.name.padEnd(42)}${String(spec.partitions).padStart(3)} partitions  ${spec.configs['cleanup.policy'] ?? ''}`,
        );
      }
      for (const m of report.mismatches) console.error(`error: ${m.topic}: ${m.problem}`);
      console.log(
        `${catalog.topics.length} topics: ${report.created.length} created, ${report.unchanged.length} unchanged, ${report.mismatches.length} mismatched`,
      );
    }
    process.exitCode = report.mismatches.length > 0 ? 1 : 0;
  } finally {
    await admin.disconnect();
  }
} catch (error) {
  console.error(`topics: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
