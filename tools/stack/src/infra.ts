/**
 * The local infrastructure: Apache Kafka (KRaft, from Maven Central jars) and Jaeger v2 (built
 * with `go install`), both on loopback, plus the topic catalog. Every step is idempotent: a part
 * that already runs is left as it is, and reported as not started by us, so that `down` only
 * stops what `up` started.
 */
import { join } from 'node:path';
import {
  catalogFromSettings,
  createKafka,
  kafkaSettingsFromEnv,
  provisionTopics,
  type ProvisionReport,
  type TopicCatalog,
} from '@claude-pipeline/kafka';
import { ROOT } from './paths.ts';
import { run } from './proc.ts';

export type Part = 'kafka' | 'jaeger';

export interface UpResult {
  /** Parts this call started (the others were already running). */
  started: Part[];
  catalog: TopicCatalog;
  topics: ProvisionReport;
}

const script = (part: Part, name: 'start.sh' | 'stop.sh') => join(ROOT, 'deploy/local', part, name);

/** True when KAFKA_BROKERS names an external cluster (not ours to start or stop). */
export const externalKafka = (): boolean => Boolean(process.env['KAFKA_BROKERS']);
/** True when OTEL_EXPORTER_OTLP_ENDPOINT names a collector of the user's. */
export const externalJaeger = (): boolean => Boolean(process.env['OTEL_EXPORTER_OTLP_ENDPOINT']);

async function startPart(part: Part): Promise<boolean> {
  const result = await run('bash', [script(part, 'start.sh')], {
    capture: true,
    prefix: `[${part}] `,
  });
  process.stdout.write(result.stdout.replace(/^(?=.)/gm, `[${part}] `));
  if (result.code !== 0) throw new Error(`${part} failed to start (exit ${result.code})`);
  return !/already running/.test(result.stdout);
}

export async function stopPart(part: Part): Promise<void> {
  const result = await run('bash', [script(part, 'stop.sh')], { prefix: `[${part}] ` });
  if (result.code !== 0) throw new Error(`${part} failed to stop (exit ${result.code})`);
}

export async function provision(): Promise<{ catalog: TopicCatalog; report: ProvisionReport }> {
  const settings = kafkaSettingsFromEnv(process.env, { clientId: 'pipeline-stack' });
  const catalog = catalogFromSettings(settings);
  const admin = createKafka({ settings }).admin();
  await admin.connect();
  try {
    return { catalog, report: await provisionTopics(admin, catalog.topics) };
  } finally {
    await admin.disconnect();
  }
}

/** Brings up Kafka and Jaeger (unless external) and provisions the topics. */
export async function up({ jaeger = true }: { jaeger?: boolean } = {}): Promise<UpResult> {
  const started: Part[] = [];
  if (!externalKafka() && (await startPart('kafka'))) started.push('kafka');
  if (jaeger && !externalJaeger() && (await startPart('jaeger'))) started.push('jaeger');
  const { catalog, report } = await provision();
  if (report.mismatches.length > 0) {
    const lines = report.mismatches.map((m) => `  ${m.topic}: ${m.problem}`).join('\n');
    throw new Error(`topics differ from the catalog:\n${lines}`);
  }
  return { started, catalog, topics: report };
}

export async function down(parts: readonly Part[] = ['jaeger', 'kafka']): Promise<void> {
  for (const part of parts) await stopPart(part);
}
