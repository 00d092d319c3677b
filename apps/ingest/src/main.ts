/**
 * ingest entry: the HTTP edge of the pipeline (see README.md).
 *
 *   node --conditions=@claude-pipeline/source --import @claude-pipeline/telemetry/register \
 *     apps/ingest/src/main.ts
 *
 * Kept thin (it uses top-level await, which Jest cannot load): ingest is built in ingest.ts.
 */
import { createLogger, shutdownTelemetry } from '@claude-pipeline/telemetry';
import { loadConfig } from './config/env.config.ts';
import { isIngestConfigError } from './errors.ts';
import { startIngest, type Ingest } from './ingest.ts';

const logger = createLogger({ service: 'ingest' });

let ingest: Ingest | undefined;
try {
  ingest = await startIngest(loadConfig(process.env), { logger });
} catch (error) {
  if (isIngestConfigError(error)) console.error(error.message);
  else logger.fatal({ err: error }, 'ingest failed to start');
  process.exitCode = 1;
}

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'ingest stopping');
  await ingest?.close();
  await shutdownTelemetry();
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, (received) => {
    void stop(received);
  });
}
