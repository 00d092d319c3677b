/**
 * anthropic-sim entry: a local stand-in for the Anthropic API (see README.md).
 *
 *   node --conditions=@claude-pipeline/source --import @claude-pipeline/telemetry/register \
 *     apps/anthropic-sim/src/main.ts
 *
 * Kept thin (it uses top-level await, which Jest cannot load): the sim is built in sim.ts.
 */
import { createLogger, shutdownTelemetry } from '@claude-pipeline/telemetry';
import { loadConfig } from './config.ts';
import { isSimConfigError } from './errors.ts';
import { startSim, type Sim } from './sim.ts';

const logger = createLogger({ service: 'anthropic-sim' });

let sim: Sim | undefined;
try {
  sim = await startSim({ config: loadConfig(process.env), logger });
} catch (error) {
  if (isSimConfigError(error)) console.error(error.message);
  else logger.fatal({ err: error }, 'anthropic-sim failed to start');
  process.exitCode = 1;
}

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'anthropic-sim stopping');
  await sim?.close();
  await shutdownTelemetry();
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, (received) => {
    void stop(received);
  });
}
