/**
 * bench/chaos: 5 minutes of open-loop load through the whole pipeline (a private Kafka broker
 * behind Toxiproxy, every service as a process) while a random service is SIGKILLed and restarted
 * every 15 s, the broker restarts once, Toxiproxy adds latency / timeouts / resets and cuts the
 * services off Kafka, the sim answers 429/529/500 bursts and hangs connections, and the callback
 * receiver is down for 60 s. Then every accepted job is accounted for (delivered by webhook-id,
 * or in a DLQ with its reason) and every duplicate delivery is explained or flagged.
 * The harness is tools/e2e/test/support/chaos*.ts (shared with the short version in `npm test`).
 *
 * Run:  npm run bench:chaos
 *       (= node --conditions=@claude-pipeline/source bench/chaos/run.ts)
 * Env:
 *   CHAOS_SHORT=1         the short version's schedule (~75 s of load), for a quick check
 *   CHAOS_DURATION_S      load duration in seconds (default 300; the fault schedule is scaled)
 *   CHAOS_RATE            submissions per second (default 10; short: 3)
 *   CHAOS_KILL_EVERY_S    a random service is SIGKILLed every N s (default 15; short: 12)
 *   CHAOS_SEED            seed of the kill order (default 11)
 *   CHAOS_REPORT          report path (default bench/results/chaos.md)
 *   CHAOS_NOTE            a line added to the report (e.g. "machine shared with 3 other runs")
 *   CHAOS_LOG_FILE        where every service's log lines go (default: a file in the OS temp dir)
 * Exit code 1 when a job was lost or a duplicate is unexplained.
 */
import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runChaos } from '../../tools/e2e/test/support/chaos.ts';
import type { ChaosSettings } from '../../tools/e2e/test/support/chaos.ts';
import {
  fullChaosSettings,
  renderChaosReport,
  shortChaosSettings,
} from '../../tools/e2e/test/support/chaos-report.ts';

const env = process.env;
const short = env['CHAOS_SHORT'] === '1';
const base = short ? shortChaosSettings() : fullChaosSettings();
const overrides: Partial<ChaosSettings> = {};
if (env['CHAOS_RATE']) overrides.rate = Number(env['CHAOS_RATE']);
if (env['CHAOS_KILL_EVERY_S']) overrides.killEveryMs = Number(env['CHAOS_KILL_EVERY_S']) * 1000;
if (env['CHAOS_SEED']) overrides.seed = Number(env['CHAOS_SEED']);
let settings: ChaosSettings = { ...base, ...overrides };
if (env['CHAOS_DURATION_S']) {
  const durationMs = Number(env['CHAOS_DURATION_S']) * 1000;
  const k = durationMs / base.durationMs;
  const scale = <T extends { atMs: number }>(f: T): T => ({ ...f, atMs: Math.round(f.atMs * k) });
  settings = {
    ...settings,
    durationMs,
    proxyFaults: settings.proxyFaults.map(scale),
    simFaults: settings.simFaults.map(scale),
    ...(settings.brokerRestart ? { brokerRestart: scale(settings.brokerRestart) } : {}),
    ...(settings.receiverDown ? { receiverDown: scale(settings.receiverDown) } : {}),
  };
}
const out = env['CHAOS_REPORT'] ?? join(import.meta.dirname, '..', 'results', 'chaos.md');
// Every service's log lines of the run (large; not part of the report).
const logFile = env['CHAOS_LOG_FILE'] ?? join(tmpdir(), `chaos-services-${process.pid}.log`);
const started = Date.now();
const report = await runChaos(settings, {
  log: (line) => console.log(`[chaos ${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`),
  logFile,
});
const notes = [
  `Command: \`npm run bench:chaos\`${short ? ' with CHAOS_SHORT=1' : ''}; wall time ${Math.round((Date.now() - started) / 1000)} s.`,
  ...(env['CHAOS_NOTE'] ? [env['CHAOS_NOTE']] : []),
];
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, renderChaosReport(report, notes));
console.log(
  `accepted ${report.accepted}, delivered ${report.delivered}, DLQ only ${report.inDlqOnly}, ` +
    `lost ${report.lost.length}, duplicates ${report.duplicates.length} ` +
    `(unexplained ${report.unexplainedDuplicates.length}); report: ${out}; service logs: ${logFile}`,
);
process.exitCode = report.lost.length === 0 && report.unexplainedDuplicates.length === 0 ? 0 : 1;
