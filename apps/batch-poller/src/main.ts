/**
 * batch-poller entry: batch-mode jobs through the Message Batches API (see README.md).
 *
 *   node --conditions=@claude-pipeline/source --import @claude-pipeline/telemetry/register \
 *     apps/batch-poller/src/main.ts
 *
 * Kept thin (it uses top-level await, which Jest cannot load): the service is built in
 * batch-poller.ts.
 */
import { createLogger, shutdownTelemetry } from '@claude-pipeline/telemetry';
import { startBatchPoller, type BatchPoller } from './batch-poller.ts';
import { loadConfig } from './config.ts';
import { isBatchPollerConfigError } from './errors.ts';

const logger = createLogger({ service: 'batch-poller' });

let service: BatchPoller | undefined;
let stopping = false;

async function stop(reason: string, exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ reason }, 'batch-poller stopping');
  const timeout = setTimeout(() => {
    logger.error('graceful stop timed out');
    process.exit(exitCode || 1);
  }, service?.config.shutdownTimeoutMs ?? 15_000);
  timeout.unref();
  await service?.stop().catch((error: unknown) => logger.error({ err: error }, 'stop failed'));
  await shutdownTelemetry();
  process.exitCode = exitCode;
}

try {
  service = await startBatchPoller(loadConfig(process.env), { logger });
} catch (error) {
  if (isBatchPollerConfigError(error)) console.error(error.message);
  else logger.fatal({ err: error }, 'batch-poller failed to start');
  await shutdownTelemetry();
  process.exit(1);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, (received) => {
    void stop(received, 0);
  });
}
