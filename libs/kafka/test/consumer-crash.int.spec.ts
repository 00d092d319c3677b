/**
 * A consumer PROCESS killed with SIGKILL mid-flight (no drain, no final commit) and a new one
 * started in its place: no message is lost, and replays stay within the in-flight window.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  createTestTopic,
  LOCAL_BROKERS,
  testKafka,
  uniqueName,
  waitFor,
  workspaceRoot,
} from '@claude-pipeline/testing';

const MAX_IN_FLIGHT = 50; // as in the fixture
const PARTITIONS = 3;

function startConsumer(topic: string, groupId: string, handled: string[]): ChildProcess {
  const child = spawn(
    'node',
    [
      '--conditions=@claude-pipeline/source',
      join(workspaceRoot(), 'libs/kafka/test/fixtures/consume-to-stdout.ts'),
      topic,
      groupId,
      LOCAL_BROKERS.join(','),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('handled ')) handled.push(line.slice(8));
  });
  return child;
}

it('loses no message when the consumer process is SIGKILLed mid-flight', async () => {
  const kafka = testKafka();
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true });
  await Promise.all([admin.connect(), producer.connect()]);
  const children: ChildProcess[] = [];
  try {
    const topic = await createTestTopic(admin, { partitions: PARTITIONS });
    const groupId = uniqueName('crash');
    const messages = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    for (let i = 0; i < messages.length; i += 1000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) });
    }

    const first: string[] = [];
    const a = startConsumer(topic, groupId, first);
    children.push(a);
    await waitFor(() => first.length >= 800, {
      timeoutMs: 30_000,
      description: '800 handled by the first process',
    });
    a.kill('SIGKILL');
    await new Promise((resolve) => a.once('exit', resolve));
    const handledByFirst = new Set(first);

    const second: string[] = [];
    const b = startConsumer(topic, groupId, second);
    children.push(b);
    await waitFor(() => new Set([...first, ...second]).size === 3000, {
      timeoutMs: 45_000,
      description: 'every message handled by one process or the other',
    });
    const replayed = second.filter((r) => handledByFirst.has(r)).length;
    // A crash replays at most each partition's uncommitted window.
    expect(replayed).toBeLessThanOrEqual(PARTITIONS * MAX_IN_FLIGHT);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
}, 120_000);
