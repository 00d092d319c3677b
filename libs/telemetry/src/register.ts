/**
 * The instrumentation entry every app loads before its own code:
 *
 *   node --import @claude-pipeline/telemetry/register apps/<service>/src/main.ts
 *
 * 1. registers import-in-the-middle's ESM loader hook (as the OpenTelemetry docs say for
 *    `--import`: `module.register('@opentelemetry/instrumentation/hook.mjs', import.meta.url)`),
 *    so `import`ed modules (pino, node:http) can be patched, not only `require`d ones;
 * 2. then, and only then, loads the SDK and starts it, named after the app's package.json.
 *
 * Kept tiny because it uses import.meta and top-level await, which Jest cannot load; the logic
 * is in sdk.ts. Worker threads (pino transports) inherit `--import`: they skip all of this.
 */
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { telemetryDisabledInEnv } from './config.ts';

if (isMainThread && !telemetryDisabledInEnv()) {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { startTelemetryForMain } = await import('./sdk.ts');
  startTelemetryForMain(process.argv[1]);
}
