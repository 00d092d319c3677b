/**
 * claude-worker entry: calls the Messages API for realtime jobs (see README.md).
 *
 *   node --conditions=@claude-pipeline/source --import @claude-pipeline/telemetry/register \
 *     apps/claude-worker/src/main.ts
 *
 * Kept thin (top-level await, which Jest cannot load): the service is built in worker.ts.
 */
import { createLogger, shutdownTelemetry } from '@claude-pipeline/telemetry';
import { loadConfig } from './config.ts';
import { SERVICE_NAME } from './defaults.ts';
import { isWorkerConfigError } from './errors.ts';
import { startWorker, type Worker } from './worker.ts';

const logger = createLogger({ service: SERVICE_NAME });

let worker: Worker | undefined;
try {
  worker = await startWorker(loadConfig(process.env), { logger });
} catch (error) {
  if (isWorkerConfigError(error)) console.error(error.message);
  else logger.fatal({ err: error }, 'claude-worker failed to start');
  process.exitCode = 1;
  await shutdownTelemetry();
}

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'claude-worker stopping');
  try {
    await worker?.stop();
  } catch (error) {
    logger.error({ err: error }, 'claude-worker did not stop cleanly');
    process.exitCode = 1;
  }
  await shutdownTelemetry();
}

if (worker) {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, (received) => {
      void stop(received);
    });
  }
}
