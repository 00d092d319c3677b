/**
 * `npm start`: the whole pipeline locally on its embedded defaults. Brings up Kafka and Jaeger,
 * provisions the topics, starts every service that exists (see ../services.ts), prints where
 * things are, and on Ctrl-C stops everything it started. It prints the ready banner only once
 * every part has answered its readiness check.
 */
import { localBroker } from '@claude-pipeline/kafka';
import { down, up, type Part } from '../infra.ts';
import { SERVICES } from '../services.ts';

const JAEGER_QUERY = `http://127.0.0.1:${process.env['JAEGER_QUERY_PORT'] ?? '16686'}`;
const JAEGER_OTLP = `http://127.0.0.1:${process.env['JAEGER_OTLP_HTTP_PORT'] ?? '4318'}`;

let started: Part[] = [];
let stopping = false;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\n[stack] stopping ...');
  if (started.length > 0) {
    await down([...started].reverse()).catch((error: unknown) =>
      console.error(`[stack] ${String(error)}`),
    );
  }
  const kept = (['kafka', 'jaeger'] as const).filter((p) => !started.includes(p));
  if (kept.length > 0)
    console.log(`[stack] left running (started before npm start): ${kept.join(', ')}`);
  console.log('[stack] stopped');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const result = await up();
  started = result.started;
  const brokers = process.env['KAFKA_BROKERS'] ?? localBroker();
  const width = Math.max(...result.catalog.topics.map((t) => t.name.length));
  const lines = [
    '',
    'claude-pipeline local stack is ready',
    `  Kafka      ${brokers}${process.env['KAFKA_BROKERS'] ? ' (external)' : ' (KRaft, single node)'}`,
    `  Topics     ${result.catalog.topics.length} (${result.topics.created.length} created now):`,
    ...result.catalog.topics.map(
      (t) =>
        `               ${t.name.padEnd(width)}  ${String(t.partitions).padStart(2)} partitions  ${t.configs['cleanup.policy'] ?? ''}`,
    ),
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT']
      ? `  Traces     exported to ${process.env['OTEL_EXPORTER_OTLP_ENDPOINT']} (external)`
      : `  Jaeger     OTLP ${JAEGER_OTLP}  |  query API ${JAEGER_QUERY}/api/v3/services`,
    SERVICES.length > 0
      ? `  Services   ${SERVICES.map((s) => `${s.name} :${s.port}`).join(', ')}`
      : '  Services   none yet: each service joins `npm start` when its issue lands',
    '',
    'Press Ctrl-C to stop.',
  ];
  console.log(lines.join('\n'));
} catch (error) {
  console.error(
    `[stack] failed to start: ${error instanceof Error ? error.message : String(error)}`,
  );
  await shutdown(1);
}

// Keep the process alive until a signal arrives.
setInterval(() => undefined, 1 << 30);
