/**
 * dedupe entry: exactly-once removal of repeated events (see README.md).
 *
 *   node --conditions=@claude-pipeline/source --import @claude-pipeline/telemetry/register \
 *     apps/dedupe/src/main.ts
 *
 * Kept thin (it uses top-level await, which Jest cannot load): the service is built in dedupe.ts.
 */
import { createLogger, shutdownTelemetry } from '@claude-pipeline/telemetry';
import { loadConfig } from './config.ts';
import { startDedupe, type Dedupe } from './dedupe.ts';
import { isDedupeConfigError } from './errors.ts';

const logger = createLogger({ service: 'dedupe' });

let dedupe: Dedupe | undefined;
let stopping = false;

async function stop(reason: string, exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ reason }, 'dedupe stopping');
  const timeout = setTimeout(() => {
    logger.error('graceful stop timed out');
    process.exit(exitCode || 1);
  }, dedupe?.config.shutdownTimeoutMs ?? 15_000);
  timeout.unref();
  await dedupe?.stop().catch((error: unknown) => logger.error({ err: error }, 'stop failed'));
  await shutdownTelemetry();
  process.exitCode = exitCode;
}

try {
  dedupe = await startDedupe(loadConfig(process.env), {
    logger,
    onFatal: (error) => {
      logger.fatal({ err: error }, 'consumer stopped for good; exiting');
      void stop('fatal consumer error', 1);
    },
  });
} catch (error) {
  if (isDedupeConfigError(error)) console.error(error.message);
  else logger.fatal({ err: error }, 'dedupe failed to start');
  await shutdownTelemetry();
  process.exit(1);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, (received) => {
    void stop(received, 0);
  });
}
