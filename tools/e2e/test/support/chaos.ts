/**
 * The chaos harness (issue 11), shared by `bench/chaos` (5 minutes) and the short version in
 * `npm test` (tools/e2e/test/chaos.int.spec.ts).
 *
 * Set-up: a private Kafka broker whose listener is ADVERTISED at a Toxiproxy port (clients
 * reconnect to the advertised address after bootstrap, so nothing bypasses the proxy), the whole
 * pipeline as processes (tools/e2e stack) connected through that proxy with short consumer
 * session timeouts, the sim, and a receiver that records every signed callback by `webhook-id`.
 *
 * Run: an open-loop load (chaos-load.ts) while a schedule of faults plays: a SIGKILL and restart
 * of a random service every `killEveryMs`, one broker restart, Toxiproxy toxics (latency,
 * timeout, reset_peer) and a cut (proxy disabled, then enabled), sim 429/529/500 bursts and hung
 * connections, and the receiver down. Every fault is recorded with its window. Like an
 * orchestrator, the harness also restarts a service that exited on its own (a service exits on an
 * error it cannot recover from, e.g. Kafka unreachable for longer than its retries, and counts on
 * being restarted); each such exit is recorded as an `exit` fault with the service's last words.
 *
 * Accounting (after the pipeline drained): every job ingest accepted (202) is delivered (by
 * `webhook-id` at the receiver) or in a DLQ topic of the stack's prefix with its reason; lost =
 * neither. A repeated delivery is explained only if the job was in flight, at that moment, in a
 * service that was killed (worker, batch-poller, notifier: the services allowed to repeat a side
 * effect after a crash) or cut from Kafka: that service logged the job (`job_id`) within
 * `inflightWindowMs` before the fault (or during it), and the repeat came after the fault began.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { DLQ } from '@claude-pipeline/kafka';
import {
  freePort,
  startThrowawayBroker,
  uniqueName,
  workspaceRoot,
  type Delivery,
  type ThrowawayBroker,
} from '@claude-pipeline/testing';
import {
  LOCAL_API_KEY,
  LOCAL_DEMO_SECRET,
  LOCAL_WEBHOOK_SECRETS,
} from '@claude-pipeline/stack/services';
import { startChaosReceiver, type ChaosReceiver } from './chaos-receiver.ts';
import { CHAOS_SERVICES } from './chaos-report.ts';
import { startLoad, type Submission } from './chaos-load.ts';
import { startE2EStack, type E2EStack, type LogLine } from './stack.ts';
import { startToxiproxy, type ToxiProxy, type Toxiproxy } from './toxiproxy.ts';

export type ProxyFaultKind = 'latency' | 'timeout' | 'reset' | 'cut';
export type SimFaultKind = '429' | '529' | '500' | 'hang';

export interface ChaosSettings {
  /** Load duration (ms); faults are scheduled as offsets from its start. */
  durationMs: number;
  /** Submissions per second (open loop). */
  rate: number;
  /** Every n-th API job in batch mode (0: none). */
  batchEvery: number;
  /** A random service is SIGKILLed and restarted this often (0: never). */
  killEveryMs: number;
  killServices: readonly string[];
  /** When the broker is restarted (offset, ms), and how long it stays down. */
  brokerRestart?: { atMs: number; downMs: number };
  proxyFaults: readonly { atMs: number; kind: ProxyFaultKind; durationMs: number }[];
  simFaults: readonly {
    atMs: number;
    kind: SimFaultKind;
    durationMs: number;
    probability: number;
  }[];
  receiverDown?: { atMs: number; durationMs: number };
  /** Consumer session timeout of every service (ms). */
  sessionTimeoutMs: number;
  workerRetryDelaysMs: string;
  notifierRetryDelaysMs: string;
  /** How long to wait for the pipeline to drain after the load (ms). */
  drainTimeoutMs: number;
  /** A client retries a failed submission (same idempotency key) this long (ms). */
  submitRetryForMs: number;
  /** See the module comment. */
  inflightWindowMs: number;
  seed: number;
}

export interface FaultEvent {
  kind: string;
  target: string;
  /** Epoch ms. */
  start: number;
  end?: number;
  detail: string;
}

export interface JobAccount {
  jobId: string;
  seq: number;
  kind: string;
  correlationId: string;
  acceptedAt: number;
  deliveries: { webhookId: string; type: string; receivedAt: number }[];
  dlq: { topic: string; service: string; errorClass: string; message: string }[];
  outcome: 'delivered' | 'dlq' | 'lost';
  /** For a lost job: the last log line that names it (service, time, message). */
  lastSeen?: string;
  /** For a lost job: its records on the jobs and results topics and the groups' commits there. */
  inKafka?: string;
  /** For a lost job: its state in ingest's status view when the drain ended. */
  state?: string;
}

export interface DuplicateJob {
  jobId: string;
  webhookIds: string[];
  deliveries: number;
  explainedBy?: string;
  /** Log lines of the job (service, time, message), for the report. */
  evidence: string[];
}

export interface ChaosReport {
  settings: ChaosSettings;
  startedAt: number;
  loadStartedAt: number;
  loadEndedAt: number;
  drainedAt: number;
  drained: boolean;
  faults: FaultEvent[];
  submitted: number;
  accepted: number;
  rejected: Submission[];
  gaveUp: Submission[];
  submitAttempts: number;
  jobs: JobAccount[];
  delivered: number;
  deliveredFailed: number;
  inDlqOnly: number;
  lost: JobAccount[];
  duplicates: DuplicateJob[];
  unexplainedDuplicates: DuplicateJob[];
  dlqReasons: Record<string, number>;
  receiverDeliveries: number;
  receiverRejections: number;
  simStats: unknown;
  restarts: Record<string, number>;
  errors: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Small seeded PRNG (mulberry32), so a run's kill order can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i];
    const b = out[j];
    if (a === undefined || b === undefined) continue;
    out[i] = b;
    out[j] = a;
  }
  return out;
}

/** The sample webhook sources with every callback pointed at the receiver. */
function sourcesFile(callbackUrl: string): string {
  const sample = JSON.parse(
    readFileSync(join(workspaceRoot(), 'apps/ingest/config/sources.sample.json'), 'utf8'),
  ) as { sources: Record<string, { routes: Record<string, Record<string, unknown>> }> };
  for (const source of Object.values(sample.sources))
    for (const route of Object.values(source.routes))
      route['callback_url'] = `${callbackUrl}/hooks`;
  const file = join(tmpdir(), `chaos-sources-${process.pid}-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(sample));
  return file;
}

interface DlqRecord {
  topic: string;
  key: string;
  jobId: string | undefined;
  service: string;
  errorClass: string;
  message: string;
}

const header = (headers: Record<string, unknown> | undefined, name: string): string => {
  const v = headers?.[name];
  if (v === undefined || v === null) return '';
  return Array.isArray(v) ? String(v[0]) : String(v);
};

interface TopicRecord {
  topic: string;
  partition: number;
  offset: string;
  message: KafkaMessage;
}

/** The accounting's client: its retries ride out a broker that has just come back. */
const accountingKafka = (brokers: string[]): Kafka =>
  new Kafka({
    clientId: 'chaos-accounting',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 10 },
  });

interface TopicContents {
  records: TopicRecord[];
  /** End offset of every partition read (`topic/partition`). */
  ends: Map<string, number>;
}

/** Reads the topics whose names pass `pick` (prefix topics only) from the beginning to their end. */
async function readTopics(
  kafka: Kafka,
  prefix: string,
  pick: (topic: string) => boolean,
): Promise<TopicContents> {
  const admin = kafka.admin();
  await admin.connect();
  const records: TopicRecord[] = [];
  const ends = new Map<string, number>();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`) && pick(t));
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic))
        ends.set(`${topic}/${p.partition}`, Number(p.high));
    }
    const total = () => [...ends.values()].reduce((a, b) => a + b, 0);
    if (total() === 0) return { records, ends };
    const consumer = kafka.consumer({ groupId: uniqueName('chaos-accounting') });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics, fromBeginning: true });
      const seen = new Map<string, number>();
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          records.push({ topic, partition, offset: message.offset, message });
          seen.set(`${topic}/${partition}`, Number(message.offset) + 1);
        },
      });
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const caughtUp = [...ends.entries()].every(([tp, end]) => (seen.get(tp) ?? 0) >= end);
        if (caughtUp || records.length >= total()) break;
        await sleep(200);
      }
    } finally {
      await consumer.disconnect();
    }
  } finally {
    await admin.disconnect();
  }
  return { records, ends };
}

/** Reads every DLQ topic of the prefix to its end. */
async function readDlqs(kafka: Kafka, prefix: string): Promise<DlqRecord[]> {
  const { records } = await readTopics(kafka, prefix, (t) => t.endsWith('.dlq'));
  return records.map(({ topic, message }) => {
    const value = message.value?.toString() ?? '';
    let jobId: string | undefined;
    try {
      const parsed = JSON.parse(value) as Record<string, unknown>;
      const job = parsed['job'] as Record<string, unknown> | undefined;
      const id = parsed['job_id'] ?? job?.['id'] ?? job?.['job_id'] ?? parsed['id'];
      jobId = typeof id === 'string' ? id : undefined;
    } catch {
      jobId = undefined;
    }
    const headers = message.headers as Record<string, unknown> | undefined;
    return {
      topic,
      key: message.key?.toString() ?? '',
      jobId,
      service: header(headers, DLQ.service) || topic.slice(prefix.length + 1, -4),
      errorClass: header(headers, DLQ.errorClass),
      message: header(headers, DLQ.errorMessage),
    };
  });
}

/**
 * Where each lost job is in Kafka, for the report: its records on the jobs and results topics
 * (partition@offset) and, for each, how far the consuming group committed on that partition
 * (`committed N of end M`): a group committed past a record it never acted on skipped it; one
 * stopped before it is stuck.
 */
async function locateInKafka(
  kafka: Kafka,
  prefix: string,
  jobIds: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (jobIds.length === 0) return out;
  const wanted = new Set(jobIds);
  const topics: Record<string, string> = {
    [`${prefix}.jobs`]: `${prefix}.claude-worker`,
    [`${prefix}.results`]: `${prefix}.notifier`,
  };
  const { records, ends } = await readTopics(kafka, prefix, (t) => t in topics);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = new Map<string, string>();
    for (const [topic, groupId] of Object.entries(topics)) {
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const p of offsets[0]?.partitions ?? []) {
        const end = ends.get(`${topic}/${p.partition}`) ?? '?';
        committed.set(
          `${topic}/${p.partition}`,
          `${groupId.slice(prefix.length + 1)} committed ${p.offset} of end ${end}`,
        );
      }
    }
    for (const r of records) {
      const key = r.message.key?.toString() ?? '';
      if (!wanted.has(key)) continue;
      const where = `${r.topic.slice(prefix.length + 1)} ${r.partition}@${r.offset} (${committed.get(`${r.topic}/${r.partition}`) ?? 'no commit'})`;
      out.set(key, out.has(key) ? `${out.get(key) ?? ''}; ${where}` : where);
    }
  } finally {
    await admin.disconnect();
  }
  return out;
}

function jobIdOf(delivery: Delivery): string | undefined {
  return (delivery.json as { data?: { job_id?: string } } | undefined)?.data?.job_id;
}
function typeOf(delivery: Delivery): string {
  return (delivery.json as { type?: string } | undefined)?.type ?? '';
}

/** Kafka-level faults: every service lost its connections to the broker. */
const KAFKA_WIDE = new Set(['broker-restart', 'proxy-cut', 'proxy-reset', 'proxy-timeout']);
/** The services that may repeat a side effect after a crash (ARCHITECTURE.md). */
const MAY_REPEAT = ['claude-worker', 'batch-poller', 'notifier'];
/** Whose per-job log line says a job reached a service's input topic. */
const UPSTREAM: Record<string, readonly string[]> = {
  'claude-worker': ['dedupe'],
  'batch-poller': ['dedupe'],
  // batch-poller logs no per-job line; dedupe's is the fallback below.
  notifier: ['claude-worker', 'batch-poller'],
};

/**
 * Which fault explains a repeated delivery of a job, if any. The job was in flight in service S
 * at fault F when it had reached S's input before F (S's upstream logged it: dedupe for the
 * worker and batch-poller, the worker for the notifier; dedupe when nothing else did) and its
 * first delivery came no earlier than `inflightWindowMs` before F (so it was not done and
 * committed long before), and the repeat came after F began. Only a kill of a service allowed to
 * repeat side effects (worker, batch-poller, notifier) or a Kafka-wide fault (broker restart,
 * proxy cut, reset or timeout, which cost every service its connections and group membership)
 * can explain a repeat; a kill of ingest or dedupe never does. A service's exit on its own counts
 * as a kill of it.
 */
export function explainDuplicate(
  jobId: string,
  mode: 'realtime' | 'batch',
  deliveredAt: readonly number[],
  faults: readonly FaultEvent[],
  logs: readonly LogLine[],
  inflightWindowMs: number,
): string | undefined {
  const sorted = [...deliveredAt].sort((a, b) => a - b);
  const first = sorted[0];
  const repeat = sorted[1];
  if (first === undefined || repeat === undefined) return undefined;
  const lines = logs.filter((l) => l.json?.['job_id'] === jobId);
  const entry = (service: string): LogLine | undefined =>
    lines.find((l) => (UPSTREAM[service] ?? []).includes(l.service)) ??
    lines.find((l) => l.service === 'dedupe');
  for (const fault of faults) {
    if (fault.start > repeat || first < fault.start - inflightWindowMs) continue;
    let services: readonly string[] = [];
    const crash = fault.kind === 'kill' || fault.kind === 'exit';
    if (crash && MAY_REPEAT.includes(fault.target)) services = [fault.target];
    else if (KAFKA_WIDE.has(fault.kind)) services = MAY_REPEAT;
    // A kill or an exit acts at an instant; a cut for its whole window.
    const until = crash ? fault.start : (fault.end ?? fault.start);
    for (const service of services) {
      // A realtime job never passes the batch-poller, a batch job never the worker.
      if (service === (mode === 'batch' ? 'claude-worker' : 'batch-poller')) continue;
      const reached = entry(service);
      if (!reached || reached.at > until) continue;
      const t = new Date(fault.start).toISOString();
      return (
        `${fault.kind} ${fault.target} at ${t}: in flight in ${service} (reached it: ` +
        `${reached.service} "${String(reached.json?.['msg'] ?? '')}" at ${new Date(reached.at).toISOString()}; ` +
        `first delivery ${new Date(first).toISOString()})`
      );
    }
  }
  return undefined;
}

/** How long the harness keeps starting a service that fails to start (ms). */
const RESTART_FOR_MS = 120_000;

/** The last error or fatal log line of a service, for the report. */
function lastWords(stack: E2EStack, service: string): string {
  for (let i = stack.logs.length - 1; i >= 0; i--) {
    const line = stack.logs[i];
    if (line?.service !== service) continue;
    const level = line.json?.['level'];
    if (level !== 'fatal' && level !== 'error' && level !== 50 && level !== 60) continue;
    const err = line.json?.['err'] as { type?: string; message?: string } | undefined;
    const what = err ? `${err.type ?? 'Error'}: ${err.message ?? ''}` : '';
    return `${String(line.json?.['msg'] ?? '')}${what ? ` ${what}` : ''}`.trim().slice(0, 200);
  }
  return 'no error logged';
}

export interface ChaosRunOptions {
  log?: (line: string) => void;
  /** Where the services' log lines go after the run (for debugging). */
  logFile?: string;
}

export async function runChaos(
  settings: ChaosSettings,
  options: ChaosRunOptions = {},
): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const startedAt = Date.now();
  const faults: FaultEvent[] = [];
  const errors: string[] = [];
  const restarts: Record<string, number> = {};
  const random = prng(settings.seed);

  let toxiproxy: Toxiproxy | undefined;
  let broker: ThrowawayBroker | undefined;
  let stack: E2EStack | undefined;
  let receiver: ChaosReceiver | undefined;
  let supervising = false;
  let supervisor: Promise<void> | undefined;
  try {
    toxiproxy = await startToxiproxy();
    const proxyPort = await freePort();
    broker = await startThrowawayBroker({ advertisedPort: proxyPort });
    const proxy: ToxiProxy = await toxiproxy.createProxy(
      'kafka',
      `127.0.0.1:${broker.port}`,
      proxyPort,
    );
    log(`broker ${broker.name} on :${broker.port}, advertised at the proxy ${proxy.listen}`);
    receiver = await startChaosReceiver([LOCAL_DEMO_SECRET]);
    const session = String(settings.sessionTimeoutMs);
    stack = await startE2EStack({
      common: {
        KAFKA_BROKERS: proxy.listen,
        // A request stuck behind a `timeout` toxic fails after 10 s instead of 30 s.
        KAFKA_REQUEST_TIMEOUT_MS: '10000',
      },
      env: {
        'anthropic-sim': {
          SIM_BATCH_PROCESSING_MS: '1500',
          SIM_LATENCY_MS: '20',
          SIM_TOKENS_PER_SECOND: '0',
        },
        ingest: { INGEST_SOURCES_FILE: sourcesFile(receiver.url) },
        dedupe: { DEDUPE_SESSION_TIMEOUT: `${session}ms` },
        'claude-worker': {
          WORKER_SESSION_TIMEOUT_MS: session,
          WORKER_RETRY_DELAYS_MS: settings.workerRetryDelaysMs,
          WORKER_TIMEOUT_MS: '5000',
        },
        'batch-poller': {
          BATCH_POLLER_SESSION_TIMEOUT: `${session}ms`,
          BATCH_POLLER_MAX_AGE: '1s',
          BATCH_POLLER_POLL_INTERVAL: '500ms',
          ANTHROPIC_TIMEOUT: '5s',
        },
        notifier: {
          NOTIFIER_SESSION_TIMEOUT_MS: session,
          NOTIFIER_RETRY_DELAYS_MS: settings.notifierRetryDelaysMs,
          NOTIFIER_TIMEOUT_MS: '5000',
          NOTIFIER_BREAKER_COOLDOWN_MS: '1000',
          NOTIFIER_BREAKER_MAX_COOLDOWN_MS: '4000',
        },
      },
    });
    const live = stack;
    const sim = live.url('anthropic-sim');
    log(`stack ${live.prefix} ready after ${Math.round((Date.now() - startedAt) / 1000)} s`);

    // --- load and fault schedule ----------------------------------------------------------
    const load = startLoad({
      ingest: live.url('ingest'),
      apiKey: LOCAL_API_KEY,
      githubSecret: LOCAL_WEBHOOK_SECRETS.github,
      callbackUrl: receiver.url,
      rate: settings.rate,
      durationMs: settings.durationMs,
      batchEvery: settings.batchEvery,
      retryForMs: settings.submitRetryForMs,
    });
    const t0 = Date.now();
    const at = (offset: number) => sleep(Math.max(0, t0 + offset - Date.now()));
    const record = (kind: string, target: string, detail: string): FaultEvent => {
      const event: FaultEvent = { kind, target, start: Date.now(), detail };
      faults.push(event);
      log(`+${Math.round((event.start - t0) / 1000)}s ${kind} ${target} ${detail}`);
      return event;
    };
    let brokerBusy = false;
    const tasks: Promise<void>[] = [];
    const guard = (name: string, task: () => Promise<void>) =>
      tasks.push(
        task().catch((error: unknown) => {
          errors.push(`${name}: ${String(error)}`);
          log(`ERROR ${name}: ${String(error)}`);
        }),
      );

    /** Services being restarted right now (by the kill schedule or the supervisor). */
    const restarting = new Set<string>();
    /**
     * Starts a service again, as an orchestrator would: a service that cannot reach Kafka at boot
     * exits (fail fast, as in a pod), so it is started again, with the broker back, until
     * `RESTART_FOR_MS` has passed.
     */
    const restartService = async (service: string, how: 'kill' | 'term', event: FaultEvent) => {
      const deadline = Date.now() + RESTART_FOR_MS;
      for (let tries = 1; ; tries++) {
        try {
          await live.restart(service, how);
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          event.detail += `; start ${tries} failed (${String(error).split('\n')[0]})`;
          await sleep(1_000);
          while (brokerBusy) await sleep(200);
        }
      }
      restarts[service] = (restarts[service] ?? 0) + 1;
      event.end = Date.now();
      event.detail += `; ready after ${((event.end - event.start) / 1000).toFixed(1)} s`;
    };

    if (settings.killEveryMs > 0) {
      guard('kills', async () => {
        let order: string[] = [];
        for (let t = settings.killEveryMs; t < settings.durationMs; t += settings.killEveryMs) {
          await at(t);
          while (brokerBusy) await sleep(200);
          if (order.length === 0) order = shuffled(settings.killServices, random);
          const service = order.shift();
          if (!service) continue;
          // Wait for the supervisor if it is restarting this one.
          while (restarting.has(service)) await sleep(200);
          restarting.add(service);
          try {
            const event = record('kill', service, 'SIGKILL, then restarted');
            await restartService(service, 'kill', event);
          } finally {
            restarting.delete(service);
          }
        }
      });
    }

    // The supervisor: a service that exited on its own is recorded and started again.
    supervising = true;
    supervisor = (async () => {
      while (supervising) {
        await sleep(500);
        for (const service of CHAOS_SERVICES) {
          if (!supervising || restarting.has(service) || live.isRunning(service)) continue;
          restarting.add(service);
          try {
            const event = record(
              'exit',
              service,
              `exited on its own (${lastWords(live, service)})`,
            );
            await restartService(service, 'term', event);
          } catch (error) {
            errors.push(`restart of ${service} after its exit: ${String(error)}`);
          } finally {
            restarting.delete(service);
          }
        }
      }
    })();
    const { brokerRestart } = settings;
    if (brokerRestart) {
      guard('broker restart', async () => {
        await at(brokerRestart.atMs);
        brokerBusy = true;
        const event = record(
          'broker-restart',
          'kafka',
          `stop (SIGTERM), ${brokerRestart.downMs} ms down, start`,
        );
        try {
          await broker?.stop();
          await sleep(brokerRestart.downMs);
          await broker?.start();
        } finally {
          brokerBusy = false;
        }
        event.end = Date.now();
        event.detail += `; back after ${((event.end - event.start) / 1000).toFixed(1)} s`;
      });
    }
    for (const fault of settings.proxyFaults) {
      guard(`proxy ${fault.kind}`, async () => {
        await at(fault.atMs);
        const name = `chaos-${fault.kind}`;
        let event: FaultEvent;
        if (fault.kind === 'cut') {
          event = record(
            'proxy-cut',
            'services<->kafka',
            `proxy disabled for ${fault.durationMs} ms`,
          );
          await proxy.setEnabled(false);
        } else if (fault.kind === 'latency') {
          event = record(
            'proxy-latency',
            'services<->kafka',
            `+500 ms ±200 both ways for ${fault.durationMs} ms`,
          );
          await proxy.addToxic({
            name,
            type: 'latency',
            attributes: { latency: 500, jitter: 200 },
          });
          await proxy.addToxic({
            name: `${name}-up`,
            type: 'latency',
            stream: 'upstream',
            attributes: { latency: 500, jitter: 200 },
          });
        } else if (fault.kind === 'timeout') {
          event = record(
            'proxy-timeout',
            'services<->kafka',
            `data stops, connections closed after 4 s, for ${fault.durationMs} ms`,
          );
          await proxy.addToxic({ name, type: 'timeout', attributes: { timeout: 4000 } });
        } else {
          event = record(
            'proxy-reset',
            'services<->kafka',
            `reset_peer (TCP RST) after 500 ms, for ${fault.durationMs} ms`,
          );
          await proxy.addToxic({ name, type: 'reset_peer', attributes: { timeout: 500 } });
        }
        await sleep(fault.durationMs);
        if (fault.kind === 'cut') await proxy.setEnabled(true);
        else {
          await proxy.removeToxic(name);
          if (fault.kind === 'latency') await proxy.removeToxic(`${name}-up`);
        }
        event.end = Date.now();
      });
    }
    for (const fault of settings.simFaults) {
      guard(`sim ${fault.kind}`, async () => {
        await at(fault.atMs);
        const action =
          fault.kind === 'hang'
            ? { type: 'hang' }
            : {
                type: 'error',
                status: Number(fault.kind),
                ...(fault.kind === '429' ? { retry_after_s: 1 } : {}),
              };
        const event = record(
          `sim-${fault.kind}`,
          'anthropic-sim',
          `${fault.kind === 'hang' ? 'hung connections' : `${fault.kind} answers`} on ${Math.round(fault.probability * 100)} % of Messages requests for ${fault.durationMs} ms`,
        );
        const response = await fetch(`${sim}/_sim/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            match: { endpoint: 'messages' },
            action,
            probability: fault.probability,
          }),
        });
        const added = (await response.json()) as { id?: string; rules?: { id: string }[] };
        const id = added.id ?? added.rules?.[0]?.id;
        await sleep(fault.durationMs);
        await fetch(id ? `${sim}/_sim/faults/${id}` : `${sim}/_sim/faults`, { method: 'DELETE' });
        event.end = Date.now();
      });
    }
    const { receiverDown } = settings;
    if (receiverDown) {
      const rx = receiver;
      guard('receiver down', async () => {
        await at(receiverDown.atMs);
        const event = record(
          'receiver-down',
          'callback receiver',
          `port closed (connection refused) for ${receiverDown.durationMs} ms`,
        );
        await rx.down();
        await sleep(receiverDown.durationMs);
        await rx.up();
        event.end = Date.now();
      });
    }

    await load.done;
    const loadEndedAt = Date.now();
    await Promise.all(tasks);
    log(`load done (${load.submissions.length} submissions); faults over; draining`);

    // --- drain --------------------------------------------------------------------------------
    const accepted = load.submissions.filter((s) => s.jobId !== undefined);
    const rx = receiver;
    const deliveredIds = () =>
      new Set(
        rx
          .deliveries()
          .map(jobIdOf)
          .filter((id) => id !== undefined),
      );
    const settled = new Set<string>();
    const lastStates = new Map<string, string>();
    const drainDeadline = Date.now() + settings.drainTimeoutMs;
    let drained = false;
    let lastStatusCheck = 0;
    while (Date.now() < drainDeadline) {
      const done = deliveredIds();
      const pending = accepted.filter(
        (s) => s.jobId !== undefined && !done.has(s.jobId) && !settled.has(s.jobId),
      );
      if (pending.length === 0) {
        drained = true;
        break;
      }
      if (Date.now() - lastStatusCheck > 10_000) {
        lastStatusCheck = Date.now();
        // Jobs that end without a delivery (undeliverable: the notifier's DLQ) are settled too.
        await Promise.all(
          pending.slice(0, 100).map(async (s) => {
            try {
              const response = await fetch(`${live.url('ingest')}/v1/jobs/${s.jobId}`, {
                headers: { authorization: `Bearer ${LOCAL_API_KEY}` },
                signal: AbortSignal.timeout(3_000),
              });
              const status = (await response.json()) as { state?: string };
              if (s.jobId && status.state) lastStates.set(s.jobId, status.state);
              if (status.state === 'undeliverable' && s.jobId) settled.add(s.jobId);
            } catch {
              // asked again next round
            }
          }),
        );
        log(`draining: ${pending.length} jobs not delivered yet`);
      }
      await sleep(1_000);
    }
    const drainedAt = Date.now();
    // Repeats can still arrive a moment after the last first delivery; let them.
    await sleep(3_000);
    supervising = false;
    await supervisor;

    // --- accounting ---------------------------------------------------------------------------
    const accounting = accountingKafka(broker.brokers);
    const dlq = await readDlqs(accounting, live.prefix);
    const simStats = await fetch(`${sim}/_sim/stats`)
      .then((r) => r.json() as Promise<unknown>)
      .catch(() => undefined);
    const deliveries = rx.deliveries();
    const byJob = new Map<string, Delivery[]>();
    for (const d of deliveries) {
      const id = jobIdOf(d);
      if (id === undefined) continue;
      byJob.set(id, [...(byJob.get(id) ?? []), d]);
    }
    const keyToJob = new Map(accepted.map((s) => [s.idempotencyKey, s.jobId]));
    const dlqByJob = new Map<string, DlqRecord[]>();
    const dlqReasons: Record<string, number> = {};
    for (const r of dlq) {
      const reason = `${r.service}: ${r.errorClass} ${r.message.slice(0, 80)}`;
      dlqReasons[reason] = (dlqReasons[reason] ?? 0) + 1;
      const ids = new Set([r.key, r.jobId, keyToJob.get(r.key)].filter((x) => x !== undefined));
      for (const id of ids) dlqByJob.set(id, [...(dlqByJob.get(id) ?? []), r]);
    }
    const jobs: JobAccount[] = accepted.map((s) => {
      const jobId = s.jobId ?? '';
      const got = byJob.get(jobId) ?? [];
      const dead = dlqByJob.get(jobId) ?? [];
      return {
        jobId,
        seq: s.seq,
        kind: s.kind,
        correlationId: s.correlationId,
        acceptedAt: s.acceptedAt ?? 0,
        deliveries: got.map((d) => ({
          webhookId: d.id,
          type: typeOf(d),
          receivedAt: d.receivedAt,
        })),
        dlq: dead.map((r) => ({
          topic: r.topic,
          service: r.service,
          errorClass: r.errorClass,
          message: r.message,
        })),
        outcome: got.length > 0 ? 'delivered' : dead.length > 0 ? 'dlq' : 'lost',
      };
    });
    // Per-job log lines, indexed once (a chaos run logs hundreds of thousands of lines).
    const logsByJob = new Map<string, LogLine[]>();
    for (const line of live.logs) {
      const id = line.json?.['job_id'];
      if (typeof id !== 'string') continue;
      const list = logsByJob.get(id);
      if (list) list.push(line);
      else logsByJob.set(id, [line]);
    }
    const lostJobs = jobs.filter((j) => j.outcome === 'lost');
    const located = await locateInKafka(
      accounting,
      live.prefix,
      lostJobs.map((j) => j.jobId),
    ).catch((error: unknown) => new Map([['', `not located: ${String(error)}`]]));
    for (const job of lostJobs) {
      job.inKafka =
        located.get(job.jobId) ?? located.get('') ?? 'no record on the jobs or results topic';
      const state = lastStates.get(job.jobId);
      if (state !== undefined) job.state = state;
      const last = logsByJob.get(job.jobId)?.at(-1);
      if (last)
        job.lastSeen = `${new Date(last.at).toISOString()} [${last.service}] ${String(last.json?.['msg'] ?? '')}`;
    }
    const duplicates: DuplicateJob[] = [];
    for (const job of jobs) {
      if (job.deliveries.length < 2) continue;
      const sorted = [...job.deliveries].sort((a, b) => a.receivedAt - b.receivedAt);
      const evidence = (logsByJob.get(job.jobId) ?? []).map(
        (l) => `${new Date(l.at).toISOString()} [${l.service}] ${String(l.json?.['msg'] ?? '')}`,
      );
      const explainedBy = explainDuplicate(
        job.jobId,
        job.kind === 'api-batch' ? 'batch' : 'realtime',
        sorted.map((d) => d.receivedAt),
        faults,
        logsByJob.get(job.jobId) ?? [],
        settings.inflightWindowMs,
      );
      duplicates.push({
        jobId: job.jobId,
        webhookIds: [...new Set(job.deliveries.map((d) => d.webhookId))],
        deliveries: job.deliveries.length,
        ...(explainedBy === undefined ? {} : { explainedBy }),
        evidence: [
          ...sorted.map(
            (d) => `${new Date(d.receivedAt).toISOString()} [receiver] ${d.type} ${d.webhookId}`,
          ),
          ...evidence,
        ].sort(),
      });
    }
    if (options.logFile) {
      mkdirSync(join(options.logFile, '..'), { recursive: true });
      writeFileSync(
        options.logFile,
        live.logs.map((l) => `${new Date(l.at).toISOString()} [${l.service}] ${l.raw}`).join('\n'),
      );
    }
    return {
      settings,
      startedAt,
      loadStartedAt: t0,
      loadEndedAt,
      drainedAt,
      drained,
      faults,
      submitted: load.submissions.length,
      accepted: accepted.length,
      rejected: load.submissions.filter((s) => s.rejected !== undefined),
      gaveUp: load.submissions.filter((s) => s.gaveUp === true),
      submitAttempts: load.submissions.reduce((a, s) => a + s.attempts, 0),
      jobs,
      delivered: jobs.filter((j) => j.outcome === 'delivered').length,
      deliveredFailed: jobs.filter(
        (j) => j.outcome === 'delivered' && j.deliveries.every((d) => d.type === 'job.failed'),
      ).length,
      inDlqOnly: jobs.filter((j) => j.outcome === 'dlq').length,
      lost: jobs.filter((j) => j.outcome === 'lost'),
      duplicates,
      unexplainedDuplicates: duplicates.filter((d) => d.explainedBy === undefined),
      dlqReasons,
      receiverDeliveries: deliveries.length,
      receiverRejections: rx.rejections().length,
      simStats,
      restarts,
      errors,
    };
  } finally {
    supervising = false;
    await supervisor;
    await stack?.stop().catch(() => undefined);
    await receiver?.close().catch(() => undefined);
    await broker?.destroy().catch(() => undefined);
    await toxiproxy?.stop().catch(() => undefined);
  }
}
