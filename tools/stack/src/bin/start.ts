/**
 * `npm start`: the whole pipeline locally on its embedded defaults. Brings up Kafka and Jaeger,
 * provisions the topics, starts every service that exists (see ../services.ts), prints where
 * things are, and on Ctrl-C stops everything it started. It prints the ready banner only once
 * every part has answered its readiness check.
 */
import { localBroker } from '@claude-pipeline/kafka';
import { down, up, type Part } from '../infra.ts';
import { startService, waitReady, type RunningService } from '../service-runner.ts';
import {
  LOCAL_API_KEY,
  LOCAL_DEMO_SECRET,
  LOCAL_WEBHOOK_SECRETS,
  planServices,
} from '../services.ts';

const JAEGER_QUERY = `http://127.0.0.1:${process.env['JAEGER_QUERY_PORT'] ?? '16686'}`;
const JAEGER_OTLP = `http://127.0.0.1:${process.env['JAEGER_OTLP_HTTP_PORT'] ?? '4318'}`;

let started: Part[] = [];
const running: RunningService[] = [];
let stopping = false;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\n[stack] stopping ...');
  for (const service of [...running].reverse()) await service.stop();
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
  for (const [index, { spec, env }] of planServices(process.env).entries()) {
    const service = startService(spec, index, process.env, { env });
    running.push(service);
    service.child.once('exit', (code, signal) => {
      if (stopping) return;
      console.error(`[stack] ${spec.name} exited (${code ?? signal}); stopping the stack`);
      void shutdown(1);
    });
    await waitReady(service);
  }
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
    ...(running.length > 0
      ? running.map(
          ({ spec }) =>
            `  ${spec.name.padEnd(14)} ${spec.describe?.(spec.port) ?? `http://127.0.0.1:${spec.port}`} (ready)`,
        )
      : ['  Services   none yet: each service joins `npm start` when its issue lands']),
    ...(running.some(({ spec }) => spec.name === 'ingest') ? firstSteps() : []),
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

/** How to send a first webhook and job, with the local stack's well-known (non-secret) keys. */
function firstSteps(): string[] {
  return [
    '',
    'First steps (in another terminal; these local keys are not secrets):',
    `  export PIPELINE_API_KEY=${LOCAL_API_KEY}`,
    `  export PIPELINE_CALLBACK_SECRET=${LOCAL_DEMO_SECRET}`,
    `  export PIPELINE_WEBHOOK_SECRET_GITHUB=${LOCAL_WEBHOOK_SECRETS.github}`,
    `  export PIPELINE_WEBHOOK_SECRET_ANTHROPIC=${LOCAL_WEBHOOK_SECRETS.anthropic}`,
    '  npm run pipeline -- demo                  # jobs + webhooks end to end, with trace links',
    '  npm run pipeline -- send webhook --source github --event pull_request',
    '  npm run pipeline -- jobs get <id> --watch',
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT']
      ? ''
      : `  traces: ${JAEGER_QUERY}/search (Jaeger UI), or ${JAEGER_QUERY}/api/v3/traces/<trace id>`,
  ];
}

// Keep the process alive until a signal arrives.
setInterval(() => undefined, 1 << 30);
