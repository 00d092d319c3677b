import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { uniqueName } from './names.ts';
import { freePort } from './ports.ts';
import { waitFor } from './wait-for.ts';
import { workspaceRoot } from './workspace.ts';

const run = promisify(execFile);

/** The shared local broker that `npm test` and `npm start` use. */
// This lib depends on no internal lib (libs/kafka's own tests use it), so the local broker
// address and the topic wait below are kept here in their simplest form.
export const LOCAL_BROKERS = (
  process.env['KAFKA_BROKERS'] ?? `127.0.0.1:${process.env['KAFKA_PORT'] ?? '9092'}`
).split(',');

function script(name: 'start.sh' | 'stop.sh'): string {
  return join(workspaceRoot(), 'deploy/local/kafka', name);
}

/** Starts the shared local broker unless it already runs (the script is idempotent). */
export async function ensureLocalBroker(): Promise<string[]> {
  if (process.env['KAFKA_BROKERS']) return LOCAL_BROKERS; // an external cluster: not ours to start
  await run('bash', [script('start.sh')], { timeout: 180_000 });
  return LOCAL_BROKERS;
}

export interface ThrowawayBroker {
  readonly name: string;
  readonly brokers: string[];
  readonly port: number;
  /** Starts it again after `stop()`, on the same ports and data. */
  start(): Promise<void>;
  /** Stops it (data kept, so `start()` brings the same cluster back). */
  stop(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

export interface ThrowawayBrokerOptions {
  /**
   * Port the broker advertises to clients (default: the port it listens on). Set it to the port
   * of a proxy in front of the broker (e.g. Toxiproxy): after bootstrap, Kafka clients connect
   * to the advertised address only, so without this they would bypass the proxy. `brokers` is
   * then the advertised address.
   */
  advertisedPort?: number;
}

/**
 * A second, private broker on its own ports, for tests that stop or break a broker. Takes some
 * seconds to start (a JVM); `destroy()` it in `afterAll`.
 */
export async function startThrowawayBroker(
  options: ThrowawayBrokerOptions = {},
): Promise<ThrowawayBroker> {
  const name = uniqueName('tmp');
  const port = await freePort();
  const controllerPort = await freePort();
  const args = [
    '--name',
    name,
    '--port',
    String(port),
    '--controller-port',
    String(controllerPort),
  ];
  if (options.advertisedPort !== undefined)
    args.push('--advertised-port', String(options.advertisedPort));
  const start = async () => {
    await run('bash', [script('start.sh'), ...args], { timeout: 180_000 });
  };
  await start();
  return {
    name,
    port,
    brokers: [`127.0.0.1:${options.advertisedPort ?? port}`],
    start,
    stop: async () => {
      await run('bash', [script('stop.sh'), '--name', name], { timeout: 60_000 });
    },
    destroy: async () => {
      await run('bash', [script('stop.sh'), '--name', name, '--purge'], { timeout: 60_000 });
    },
  };
}

/** A kafkajs client for tests: quiet, short timeouts, unique client id. */
export function testKafka(
  brokers: string[] = LOCAL_BROKERS,
  clientId = uniqueName('client'),
): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 5, initialRetryTime: 100 },
  });
}

/** Creates a topic with a unique name and waits for its leaders. */
export async function createTestTopic(
  admin: Admin,
  {
    prefix = 'test',
    partitions = 1,
    configs = {},
  }: { prefix?: string; partitions?: number; configs?: Record<string, string> } = {},
): Promise<string> {
  const topic = uniqueName(prefix);
  await admin.createTopics({
    waitForLeaders: false,
    topics: [
      {
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
      },
    ],
  });
  // A KRaft broker may answer UNKNOWN_TOPIC_OR_PARTITION for a moment after CreateTopics.
  await waitFor(
    async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0]?.partitions.every((p) => p.leader >= 0) === true;
    },
    { description: `leaders of ${topic}` },
  );
  return topic;
}
