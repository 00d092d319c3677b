/**
 * notifier entry: delivers results as signed callbacks (see README.md).
 *
 *   node --conditions=@claude-pipeline/source --import @claude-pipeline/telemetry/register \
 *     apps/notifier/src/main.ts
 *
 * Kept thin (top-level await, which Jest cannot load): the service is built in notifier.ts.
 */
import { createLogger, shutdownTelemetry } from '@claude-pipeline/telemetry';
import { loadConfig } from './config.ts';
import { SERVICE_NAME } from './defaults.ts';
import { isNotifierConfigError } from './errors.ts';
import { startNotifier, type Notifier } from './notifier.ts';

const logger = createLogger({ service: SERVICE_NAME });

let notifier: Notifier | undefined;
try {
  notifier = await startNotifier(loadConfig(process.env), { logger });
} catch (error) {
  if (isNotifierConfigError(error)) console.error(error.message);
  else logger.fatal({ err: error }, 'notifier failed to start');
  process.exitCode = 1;
  await shutdownTelemetry();
}

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'notifier stopping');
  try {
    await notifier?.stop();
  } catch (error) {
    logger.error({ err: error }, 'notifier did not stop cleanly');
    process.exitCode = 1;
  }
  await shutdownTelemetry();
}

if (notifier) {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, (received) => {
      void stop(received);
    });
  }
}
