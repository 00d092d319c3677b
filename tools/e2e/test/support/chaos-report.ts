/**
 * Presets of the chaos run (the 5-minute benchmark and the short version in `npm test`) and the
 * markdown report of a run.
 */
import { cpus, totalmem } from 'node:os';
import type { ChaosReport, ChaosSettings } from './chaos.ts';

export const CHAOS_SERVICES = [
  'ingest',
  'dedupe',
  'claude-worker',
  'batch-poller',
  'notifier',
] as const;

/** The benchmark: 5 minutes of load, a kill every 15 s, every kind of fault. */
export function fullChaosSettings(overrides: Partial<ChaosSettings> = {}): ChaosSettings {
  return {
    durationMs: 300_000,
    rate: 10,
    batchEvery: 5,
    killEveryMs: 15_000,
    killServices: CHAOS_SERVICES,
    brokerRestart: { atMs: 150_000, downMs: 5_000 },
    proxyFaults: [
      { atMs: 40_000, kind: 'latency', durationMs: 15_000 },
      { atMs: 70_000, kind: 'reset', durationMs: 5_000 },
      { atMs: 100_000, kind: 'cut', durationMs: 8_000 },
      { atMs: 200_000, kind: 'timeout', durationMs: 8_000 },
      { atMs: 250_000, kind: 'cut', durationMs: 15_000 },
    ],
    simFaults: [
      { atMs: 20_000, kind: '429', durationMs: 10_000, probability: 0.5 },
      { atMs: 60_000, kind: '500', durationMs: 10_000, probability: 0.3 },
      { atMs: 130_000, kind: '529', durationMs: 10_000, probability: 0.3 },
      { atMs: 180_000, kind: 'hang', durationMs: 10_000, probability: 0.2 },
      { atMs: 230_000, kind: '429', durationMs: 5_000, probability: 1 },
    ],
    receiverDown: { atMs: 85_000, durationMs: 60_000 },
    sessionTimeoutMs: 8_000,
    workerRetryDelaysMs: '1000,3000,8000',
    // ~3 minutes from first failure to the DLQ: longer than the receiver's 60 s outage.
    notifierRetryDelaysMs: '2000,5000,10000,20000,30000,45000,60000',
    drainTimeoutMs: 300_000,
    submitRetryForMs: 120_000,
    inflightWindowMs: 15_000,
    seed: 11,
    ...overrides,
  };
}

/**
 * The short version for `npm test`: 60 s at a low rate; each service killed once, one broker
 * restart, one proxy cut, one sim burst, the receiver down briefly.
 */
export function shortChaosSettings(overrides: Partial<ChaosSettings> = {}): ChaosSettings {
  return {
    durationMs: 60_000,
    rate: 3,
    batchEvery: 4,
    // Kills at 10, 20, 30, 40 and 50 s: each of the five services once.
    killEveryMs: 10_000,
    killServices: CHAOS_SERVICES,
    brokerRestart: { atMs: 33_000, downMs: 1_000 },
    proxyFaults: [{ atMs: 14_000, kind: 'cut', durationMs: 4_000 }],
    simFaults: [{ atMs: 4_000, kind: '500', durationMs: 6_000, probability: 0.3 }],
    receiverDown: { atMs: 21_000, durationMs: 10_000 },
    sessionTimeoutMs: 6_000,
    workerRetryDelaysMs: '1000,2000,4000',
    notifierRetryDelaysMs: '1000,2000,4000,8000,10000,15000,20000',
    drainTimeoutMs: 90_000,
    submitRetryForMs: 60_000,
    inflightWindowMs: 15_000,
    seed: 7,
    ...overrides,
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function renderChaosReport(report: ChaosReport, notes: readonly string[] = []): string {
  const s = report.settings;
  const t = (ms: number) => `+${((ms - report.loadStartedAt) / 1000).toFixed(1)} s`;
  const lines: string[] = [];
  lines.push('# Chaos: nothing lost, no unexplained duplicates (bench/chaos)', '');
  lines.push(
    `Date: ${iso(report.startedAt)} UTC. Machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}.`,
    '',
  );
  for (const note of notes) lines.push(`> ${note}`, '');
  lines.push('## Totals', '');
  lines.push('| | count |', '| --- | --- |');
  const rows: [string, string | number][] = [
    ['submissions (open loop)', report.submitted],
    ['HTTP attempts (retries with the same idempotency key)', report.submitAttempts],
    ['accepted (202) = jobs to account for', report.accepted],
    ['refused by ingest (4xx)', report.rejected.length],
    ['never accepted (client gave up)', report.gaveUp.length],
    ['delivered (webhook-id at the receiver)', report.delivered],
    ['  of which as `job.failed` (worker/batch DLQ with a failed result)', report.deliveredFailed],
    ['only in a DLQ (not delivered), with reason', report.inDlqOnly],
    ['**lost** (neither delivered nor in a DLQ when the drain ended)', `**${report.lost.length}**`],
    ['jobs delivered more than once', report.duplicates.length],
    ['**unexplained duplicates**', `**${report.unexplainedDuplicates.length}**`],
    ['receiver deliveries (all attempts answered 200)', report.receiverDeliveries],
    ['receiver rejections (bad signature)', report.receiverRejections],
    [
      'drained',
      report.drained
        ? `yes, ${secs(report.drainedAt - report.loadEndedAt)} after the load`
        : 'NO (timed out)',
    ],
  ];
  for (const [k, v] of rows) lines.push(`| ${k} | ${v} |`);
  lines.push('');
  lines.push('## Faults', '');
  lines.push(
    '| at (from load start) | until | fault | target | detail |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const f of report.faults)
    lines.push(
      `| ${t(f.start)} (${iso(f.start).slice(11)}) | ${f.end ? t(f.end) : '—'} | ${f.kind} | ${f.target} | ${f.detail} |`,
    );
  lines.push('', `Restarts per service: ${JSON.stringify(report.restarts)}.`, '');
  if (report.errors.length > 0) {
    lines.push('Harness errors:', '');
    for (const e of report.errors) lines.push(`- ${e}`);
    lines.push('');
  }
  lines.push('## DLQ records by reason', '');
  const reasons = Object.entries(report.dlqReasons);
  if (reasons.length === 0) lines.push('None.');
  for (const [reason, n] of reasons) lines.push(`- ${n} × ${reason}`);
  lines.push('');
  lines.push('## Duplicates', '');
  if (report.duplicates.length === 0) lines.push('None.');
  for (const d of report.duplicates) {
    lines.push(
      `- \`${d.jobId}\`: ${d.deliveries} deliveries, webhook-ids ${d.webhookIds.join(', ')}; ` +
        (d.explainedBy ? `explained: ${d.explainedBy}` : '**UNEXPLAINED**'),
    );
    if (!d.explainedBy) for (const e of d.evidence.slice(0, 20)) lines.push(`  - ${e}`);
  }
  lines.push('');
  lines.push('## Lost jobs', '');
  if (report.lost.length === 0) lines.push('None.');
  for (const j of report.lost.slice(0, 50))
    lines.push(
      `- \`${j.jobId}\` (${j.kind}, seq ${j.seq}, correlation ${j.correlationId}, accepted ${iso(j.acceptedAt)}); last seen: ${j.lastSeen ?? 'never logged by a service'}; state: ${j.state ?? '?'}; in Kafka: ${j.inKafka ?? '?'}`,
    );
  lines.push('');
  lines.push('## Sim stats', '', '```json', JSON.stringify(report.simStats, null, 2), '```', '');
  lines.push('## Settings', '', '```json', JSON.stringify(s, null, 2), '```', '');
  return lines.join('\n');
}
