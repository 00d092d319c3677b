/**
 * The short chaos run (issue 11): ~75 s of open-loop load at a low rate through the whole
 * pipeline, connected to a private broker through Toxiproxy, while each service is SIGKILLed and
 * restarted once, the broker restarts once, the proxy cuts every Kafka connection once, the sim
 * answers 500s for a while and the callback receiver is down. Afterwards every accepted job is
 * delivered or in a DLQ with its reason, and every repeated delivery is explained by a fault that
 * hit the job in flight. The 5-minute version is `npm run bench:chaos` (bench/chaos).
 */
import { join } from 'node:path';
import { runChaos, type ChaosReport } from './support/chaos.ts';
import { renderChaosReport, shortChaosSettings } from './support/chaos-report.ts';
import { mkdirSync, writeFileSync } from 'node:fs';

jest.setTimeout(600_000);

const results = join(__dirname, '..', '.test-results');
let report: ChaosReport;

beforeAll(async () => {
  report = await runChaos(shortChaosSettings(), {
    logFile: join(results, 'e2e-chaos-services.log'),
  });
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, 'chaos-short.md'), renderChaosReport(report));
}, 600_000);

describe('chaos (short): kills, a broker restart, a proxy cut, sim errors, receiver down', () => {
  it('played every planned fault, each service killed at least once', () => {
    // `exit`: a service that stopped itself (fail fast) and was started again, as an
    // orchestrator would; the report lists each with the service's last error.
    const kinds = new Set(report.faults.map((f) => f.kind).filter((k) => k !== 'exit'));
    expect([...kinds].sort()).toEqual(
      ['broker-restart', 'kill', 'proxy-cut', 'receiver-down', 'sim-500'].sort(),
    );
    const killed = new Set(report.faults.filter((f) => f.kind === 'kill').map((f) => f.target));
    expect([...killed].sort()).toEqual(
      ['batch-poller', 'claude-worker', 'dedupe', 'ingest', 'notifier'].sort(),
    );
    expect(report.faults.every((f) => f.end !== undefined)).toBe(true);
    expect(report.errors).toEqual([]);
  });

  it('accepted jobs under load, and the pipeline drained', () => {
    expect(report.accepted).toBeGreaterThan(100);
    expect(report.rejected).toEqual([]);
    expect(report.drained).toBe(true);
  });

  it('lost no job: each is delivered (by webhook-id) or in a DLQ with its reason', () => {
    // Each with where it stopped (the whole report is in .test-results/chaos-short.md).
    expect(
      report.lost.map(
        (j) =>
          `${j.jobId} (${j.kind}) state ${j.state ?? '?'}; ${j.inKafka ?? '?'}; last: ${j.lastSeen ?? 'never logged'}`,
      ),
    ).toEqual([]);
    expect(report.delivered + report.inDlqOnly).toBe(report.accepted);
    for (const job of report.jobs.filter((j) => j.outcome === 'dlq'))
      expect(job.dlq.every((d) => d.errorClass !== '')).toBe(true);
  });

  it('has no unexplained duplicate delivery', () => {
    expect(
      report.unexplainedDuplicates.map((d) => ({ job: d.jobId, evidence: d.evidence })),
    ).toEqual([]);
  });
});
