/**
 * Issue 3, "safe on rebalance": a partition taken from the concurrent consumer while records of
 * it are in flight gets no commit from it afterwards, its committed offset never goes backwards
 * nor past what the new owner processed, and no record is lost.
 *
 * Consumer A holds every record from offset HELD_FROM on (all partitions, so whichever partition
 * moves has records in flight on A) until the test opens a gate. Consumer B joins the same group
 * and takes over some partitions; A's held handlers are released only after B has processed and
 * committed all of them. A's kafkajs `commitOffsets` (what the concurrent consumer commits
 * through) is spied for attempts, and both consumers' COMMIT_OFFSETS events (emitted by kafkajs
 * after the broker accepted a commit) give the sequence of committed offsets.
 */
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { createTestTopic, testKafka, uniqueName, waitFor } from '@claude-pipeline/testing';
import {
  createConcurrentConsumer,
  type ConcurrentConsumer,
  type ConsumedRecord,
} from '../src/index.ts';

const PARTITIONS = 2;
const PER_PARTITION = 20;
const MAX_IN_FLIGHT = 5;
/** Records below this offset finish at once on A, so A has committed something before B joins. */
const HELD_FROM = 3;

type Who = 'A' | 'B';
type LogEntry =
  | { kind: 'join'; who: Who; partitions: number[] }
  | { kind: 'commit-call'; who: Who; partitions: Map<number, number> }
  | {
      kind: 'committed';
      who: Who;
      generation: number;
      partitions: Map<number, number>;
      /** Per committed partition: the offsets each consumer had finished when it was accepted. */
      finishedThen: Map<number, Record<Who, Set<number>>>;
    };

describe('concurrent consumer on rebalance (real broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const consumers: ConcurrentConsumer[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    producer = kafka.producer({ idempotent: true });
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.abort().catch(() => undefined)));
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  it('never commits a revoked partition, keeps its offset monotonic and loses no record', async () => {
    const topic = await createTestTopic(admin, { prefix: 'rebalance', partitions: PARTITIONS });
    const groupId = uniqueName('g');
    const all = Array.from({ length: PARTITIONS }, (_, p) => p);
    await producer.send({
      topic,
      acks: -1,
      messages: all.flatMap((partition) =>
        Array.from({ length: PER_PARTITION }, (_, i) => ({
          partition,
          key: `p${partition}-${i}`,
          value: `${partition}:${i}`,
        })),
      ),
    });

    /** Everything both consumers did that matters here, in the order it happened. */
    const log: LogEntry[] = [];
    /** Per consumer and partition: how many times each offset was handled to completion. */
    const finished: Record<Who, Map<number, number>[]> = {
      A: all.map(() => new Map()),
      B: all.map(() => new Map()),
    };
    const done = (who: Who, r: ConsumedRecord) => {
      const m = finished[who][r.partition]!;
      m.set(Number(r.offset), (m.get(Number(r.offset)) ?? 0) + 1);
    };

    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    /** A's handler calls at offsets >= HELD_FROM (held while the gate is closed). */
    let gatedStarted = 0;
    let gatedFinished = 0;

    const observe = (who: Who, consumer: Consumer) => {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        log.push({
          kind: 'join',
          who,
          partitions: [...(payload.memberAssignment[topic] ?? [])].sort((x, y) => x - y),
        });
      });
      consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
        const partitions = new Map<number, number>();
        const finishedThen = new Map<number, Record<Who, Set<number>>>();
        for (const t of payload.topics) {
          if (t.topic !== topic) continue;
          for (const { partition, offset } of t.partitions) {
            const p = Number(partition);
            partitions.set(p, Number(offset));
            finishedThen.set(p, {
              A: new Set(finished.A[p]!.keys()),
              B: new Set(finished.B[p]!.keys()),
            });
          }
        }
        log.push({
          kind: 'committed',
          who,
          generation: payload.groupGenerationId,
          partitions,
          finishedThen,
        });
      });
      const commitOffsets = consumer.commitOffsets.bind(consumer);
      jest.spyOn(consumer, 'commitOffsets').mockImplementation((offsets) => {
        const partitions = new Map<number, number>();
        for (const o of offsets) {
          if (o.topic === topic) partitions.set(o.partition, Number(o.offset));
        }
        log.push({ kind: 'commit-call', who, partitions });
        return commitOffsets(offsets);
      });
    };

    const start = (who: Who, handler: (r: ConsumedRecord) => Promise<void>) => {
      const c = createConcurrentConsumer({
        kafka,
        groupId,
        topics: [topic],
        maxInFlight: MAX_IN_FLIGHT,
        commitIntervalMs: 50,
        backpressureHoldMs: 100,
        consumerConfig: { sessionTimeout: 10_000, heartbeatInterval: 300 },
        handler: async (r) => {
          await handler(r);
          done(who, r);
        },
      });
      consumers.push(c);
      observe(who, c.consumer);
      return c;
    };

    const joins = (who: Who) =>
      log.filter(
        (e): e is Extract<LogEntry, { kind: 'join' }> => e.kind === 'join' && e.who === who,
      );
    const commits = (who: Who) =>
      log.filter(
        (e): e is Extract<LogEntry, { kind: 'committed' }> =>
          e.kind === 'committed' && e.who === who,
      );
    /** The offsets of a partition the broker accepted, in order, whoever committed them. */
    const committedSequence = (partition: number) =>
      log.flatMap((e) =>
        e.kind === 'committed' && e.partitions.has(partition) ? [e.partitions.get(partition)!] : [],
      );
    const expectMonotonic = () => {
      for (const p of all) {
        const sequence = committedSequence(p);
        expect({ partition: p, sequence }).toEqual({
          partition: p,
          sequence: [...sequence].sort((x, y) => x - y),
        });
      }
    };
    const lastCommitted = (who: Who, partition: number) =>
      commits(who)
        .findLast((e) => e.partitions.has(partition))
        ?.partitions.get(partition);

    // 1. A alone: offsets 0..HELD_FROM-1 of every partition finish and are committed, the next
    //    MAX_IN_FLIGHT of each are held in A's handlers (the window is full, fetch paused).
    const a = start('A', async (r) => {
      if (Number(r.offset) < HELD_FROM) return;
      gatedStarted += 1;
      await gate;
      gatedFinished += 1;
    });
    await a.start();
    await waitFor(
      () =>
        gatedStarted === PARTITIONS * MAX_IN_FLIGHT &&
        all.every((p) => lastCommitted('A', p) === HELD_FROM),
      { timeoutMs: 30_000, description: 'A committed the head and holds a full window' },
    );
    const ownedGenerations = new Set(commits('A').map((e) => e.generation));
    const aJoinsBefore = joins('A').length;

    // 2. B joins: the group rebalances and some partitions move to B while A's records of them
    //    are in flight. B handles everything at once.
    const b = start('B', async () => undefined);
    await b.start();
    const [moved, kept] = await waitFor(
      () => {
        const aJoins = joins('A');
        const bJoin = joins('B').at(-1);
        if (aJoins.length <= aJoinsBefore || !bJoin) return undefined;
        const aNow = aJoins.at(-1)!.partitions;
        const covered = [...aNow, ...bJoin.partitions].sort((x, y) => x - y);
        return covered.join() === all.join() ? [bJoin.partitions, aNow] : undefined;
      },
      { timeoutMs: 30_000, description: 'A and B share the partitions after the rebalance' },
    );
    expect(moved.length).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);
    /** Log position of A's join that took the moved partitions away. */
    const revokedAt = log.indexOf(joins('A').at(-1)!);

    // B reads the moved partitions from A's last commit and commits them to the end, while A's
    // handlers of their records are still held.
    await waitFor(() => moved.every((p) => lastCommitted('B', p) === PER_PARTITION), {
      timeoutMs: 30_000,
      description: 'B processed and committed the moved partitions',
    });
    expect(gatedFinished).toBe(0);

    // 3. Release A's held handlers (of the old generation, and of the kept partitions re-fetched
    //    in the new one), let them all finish, then stop A: its drain commits whatever it still
    //    considers pending, so any commit A would ever make has been attempted by now.
    openGate();
    await waitFor(() => gatedFinished === gatedStarted, {
      description: "A's held handlers finished",
    });
    await a.stop();

    // A never attempted nor made a commit of a moved partition after the join that revoked it.
    const aCommitsOfMoved = log
      .slice(revokedAt + 1)
      .filter(
        (e) =>
          e.who === 'A' &&
          (e.kind === 'commit-call' || e.kind === 'committed') &&
          moved.some((p) => e.partitions.has(p)),
      )
      .map(({ kind, partitions }) => ({ kind, partitions }));
    expect(aCommitsOfMoved).toEqual([]);
    // Nor any in a generation in which it did not own them (a kafkajs retry across the rejoin).
    for (const p of moved) {
      const generations = commits('A')
        .filter((e) => e.partitions.has(p))
        .map((e) => e.generation);
      expect(generations.filter((g) => !ownedGenerations.has(g))).toEqual([]);
    }
    // So far no partition's committed offset went backwards.
    expectMonotonic();

    // 4. B takes the rest over (A left); wait for the group to have committed every partition
    //    to its end.
    await waitFor(
      async () => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return all.every(
          (p) =>
            Number(offsets?.partitions.find((o) => o.partition === p)?.offset) === PER_PARTITION,
        );
      },
      { timeoutMs: 30_000, description: 'every partition committed to its end' },
    );
    await b.stop();

    // Each partition's committed offset never went backwards, whoever committed it; no commit
    // ever went past a record that no consumer had finished; and every commit of a moved
    // partition after A's last one covered only records B had finished by then.
    expectMonotonic();
    const unfinishedBelow = (from: number, to: number, done: Set<number>) =>
      Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i).filter(
        (o) => !done.has(o),
      );
    const overreach = log.flatMap((e) =>
      e.kind !== 'committed'
        ? []
        : [...e.partitions].flatMap(([p, offset]) => {
            const then = e.finishedThen.get(p)!;
            const gaps = unfinishedBelow(0, offset, new Set([...then.A, ...then.B]));
            return gaps.length > 0 ? [{ who: e.who, partition: p, offset, gaps }] : [];
          }),
    );
    expect(overreach).toEqual([]);
    for (const p of moved) {
      expect(lastCommitted('A', p)).toBe(HELD_FROM);
      for (const e of commits('B').filter((c) => c.partitions.has(p))) {
        const offset = e.partitions.get(p)!;
        const notByB = unfinishedBelow(HELD_FROM, offset, e.finishedThen.get(p)!.B);
        expect({ partition: p, offset, notByB }).toEqual({ partition: p, offset, notByB: [] });
      }
    }

    // No record lost: every offset was handled by A or B; duplicates stay within the window
    // that was in flight when its partition changed hands (A's held records, replayed).
    for (const p of all) {
      const missing: number[] = [];
      let duplicates = 0;
      for (let o = 0; o < PER_PARTITION; o += 1) {
        const times = (finished.A[p]!.get(o) ?? 0) + (finished.B[p]!.get(o) ?? 0);
        if (times === 0) missing.push(o);
        duplicates += Math.max(0, times - 1);
      }
      expect({ partition: p, missing }).toEqual({ partition: p, missing: [] });
      expect(duplicates).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    }
  });
});
