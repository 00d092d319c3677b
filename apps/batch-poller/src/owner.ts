import type Anthropic from '@anthropic-ai/sdk';
import type { MessageBatch } from '@anthropic-ai/sdk/resources/messages/batches';
import { sendSplit } from '@claude-pipeline/kafka';
import { jobRecordSchema, safeParse } from '@claude-pipeline/schemas';
import type { Logger } from '@claude-pipeline/telemetry';
import kafkajs, { type Kafka, type Message, type Producer } from 'kafkajs';
import { pollDelay } from './backoff.ts';
import type { BatchesFollower, Ownership } from './batches-follower.ts';
import type { BatchEntry, IntentEntry } from './batches-view.ts';
import type { BatchPollerConfig } from './config.ts';
import { locationKey, type JobReader } from './job-reader.ts';
import type { BatchPollerMetrics } from './metrics.ts';
import { outcomeOf, type OutcomeAction } from './outcome.ts';
import type { Packer } from './packer.ts';
import { createEmission } from './emission.ts';
import { fencedProducer, inTransaction } from './producers.ts';
import {
  batchedStatus,
  deadLetter,
  failedRecords,
  succeededRecords,
  type Emitted,
} from './records.ts';
import { batchRequestOf, type BatchRequest } from './requests.ts';
import {
  encodeStored,
  type HeldIntent,
  type StoredBatch,
  type StoredIntent,
  type StoredJobRef,
} from './stored.ts';

const { CompressionTypes } = kafkajs;

/** A batch created this long before its intent still matches it (clock skew), ms. */
const MATCH_SKEW_MS = 60_000;

interface PollState {
  nextAt: number;
  polls: number;
  trigger: 'schedule' | 'control';
}

export interface Owner {
  /** Runs one pass now (if none is running) and returns when it is done. */
  tick(): Promise<void>;
  /** A control record: poll this batch at once. */
  pollNow(batchId: string): void;
  /** New batch record seen: schedule its first poll. */
  noteBatch(batch: StoredBatch): void;
  /** Ownership changed: drop the producers of partitions no longer owned. */
  ownershipChanged(owned: ReadonlySet<number>): void;
  stop(): Promise<void>;
}

export interface OwnerDeps {
  kafka: Kafka;
  config: BatchPollerConfig;
  topics: { jobs: string; batches: string; status: string; results: string; dlq: string };
  client: Anthropic;
  follower: BatchesFollower;
  ownership: Ownership;
  packer: Pick<Packer, 'inFlight' | 'abandoned'>;
  readJobs: JobReader;
  metrics: BatchPollerMetrics;
  logger: Logger;
  clock: () => number;
}

const totalOf = (batch: MessageBatch): number => {
  const c = batch.request_counts;
  return c.processing + c.succeeded + c.errored + c.canceled + c.expired;
};

/**
 * Everything done for the batches partitions this replica owns: reconcile intents that have no
 * batch, cancel duplicate and orphan batches, poll open batches with backoff, and emit the
 * results of ended ones exactly once (results, statuses, DLQ records, re-pack intents and the
 * tombstones in Kafka transactions of the partition's own transactional producer; a progress
 * count on the batch record between chunks).
 */
export function createOwner(deps: OwnerDeps): Owner {
  const { config, topics, client, follower, ownership, metrics, logger, clock } = deps;
  const view = follower.view;
  const polls = new Map<string, PollState>();
  const controls = new Map<string, number>();
  const emitters = new Map<number, Promise<Producer>>();
  let running: Promise<void> | undefined;
  let again = false;
  let lastSweep = 0;
  let stopped = false;
  // Writes of this process that the view may not show yet: a committed transaction becomes
  // visible to read_committed readers only once its markers are written, a moment after commit.
  const finished = new Set<string>();
  const recorded = new Set<string>();

  /** Waits until the view reflects a write of ours. */
  const awaitView = async (what: string, done: () => boolean) => {
    const deadline = Date.now() + 30_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`the batches view does not show ${what} yet`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  const discardEmitters = () => {
    for (const [partition, emitter] of [...emitters]) {
      emitters.delete(partition);
      void emitter.then((p) => p.disconnect()).catch(() => undefined);
    }
  };

  const emitterOf = (partition: number): Promise<Producer> => {
    let emitter = emitters.get(partition);
    if (!emitter) {
      emitter = fencedProducer(
        deps.kafka,
        `${config.transactionalIdPrefix}.emit.${partition}`,
        config.transactionTimeoutMs,
      );
      emitter.catch(() => emitters.delete(partition));
      emitters.set(partition, emitter);
    }
    return emitter;
  };

  const stateOf = (entry: BatchEntry): PollState => {
    let state = polls.get(entry.batch.batch_id);
    if (!state) {
      const created = Date.parse(entry.batch.created_at);
      state = {
        nextAt: Math.min(clock(), created) + config.polling.intervalMs,
        polls: 0,
        trigger: 'schedule',
      };
      polls.set(entry.batch.batch_id, state);
    }
    const control = controls.get(entry.batch.batch_id);
    if (control !== undefined) {
      controls.delete(entry.batch.batch_id);
      state.nextAt = 0;
      state.trigger = 'control';
    }
    return state;
  };

  const tombstones = (partition: number, keys: string[]) => ({
    topic: topics.batches,
    messages: keys.map((key): Message => ({ key, value: null, partition })),
  });

  const cancelQuietly = async (batchId: string, reason: string) => {
    try {
      await client.messages.batches.cancel(batchId);
      metrics.batchesCanceled.inc({ reason });
      logger.info({ batchId, reason }, 'batch canceled');
    } catch (error) {
      // Already ended or canceled: nothing left running.
      logger.debug({ batchId, err: error }, 'cancel refused');
    }
  };

  /** A batch record that is not its intent's batch: cancel it and forget it, emit nothing. */
  const dropDuplicate = async (entry: BatchEntry) => {
    const { batch_id: batchId } = entry.batch;
    logger.warn({ batchId, intentId: entry.batch.intent_id }, 'duplicate batch for an intent');
    await cancelQuietly(batchId, 'duplicate');
    const emitter = await emitterOf(entry.partition);
    await inTransaction(emitter, (tx) => tx.send(tombstones(entry.partition, [batchId])));
    finished.add(batchId);
    polls.delete(batchId);
    await awaitView(`the tombstone of ${batchId}`, () => !view.batch(batchId));
  };

  const requestsOf = async (
    intent: HeldIntent,
  ): Promise<{ requests: BatchRequest[]; missing: StoredJobRef[] }> => {
    const sources = await deps.readJobs(
      intent.jobs.map((j) => ({ partition: j.source_partition, offset: j.source_offset })),
    );
    const requests: BatchRequest[] = [];
    const missing: StoredJobRef[] = [];
    for (const ref of intent.jobs) {
      const source = sources.get(locationKey(ref.source_partition, ref.source_offset));
      const parsed = source?.value
        ? safeParse(jobRecordSchema, JSON.parse(source.value.toString('utf8')) as unknown)
        : undefined;
      if (parsed?.ok && parsed.value.job_id === ref.job_id) {
        requests.push(batchRequestOf(parsed.value, config));
      } else {
        missing.push(ref);
      }
    }
    return { requests, missing };
  };

  /** The batch created for this intent before a crash, if the API has one nobody recorded. */
  const findMatch = async (intent: HeldIntent): Promise<MessageBatch | undefined> => {
    const since = Date.parse(intent.created_at) - MATCH_SKEW_MS;
    const named = view.namedBatchIds();
    let best: MessageBatch | undefined;
    for await (const batch of client.messages.batches.list({ limit: 100 })) {
      const created = Date.parse(batch.created_at);
      if (created < since) break; // newest first
      if (named.has(batch.id) || batch.cancel_initiated_at) continue;
      if (totalOf(batch) !== intent.jobs.length) continue;
      if (!best || created < Date.parse(best.created_at)) best = batch;
    }
    return best;
  };

  const reconcile = async (entry: IntentEntry) => {
    const { intent, partition } = entry;
    let batch = intent.repack ? undefined : await findMatch(intent);
    if (batch) {
      logger.info(
        { intentId: intent.intent_id, batchId: batch.id },
        'adopting the batch of an intent',
      );
    } else {
      const { requests, missing } = await requestsOf(intent);
      if (missing.length > 0) {
        logger.warn(
          { intentId: intent.intent_id, missing: missing.length },
          'job records no longer readable; those jobs end as expired',
        );
      }
      if (requests.length === 0) {
        // Nothing to submit: every job fails now, and the intent is done.
        const now = clock();
        const emitted = intent.jobs.map((ref) =>
          failedRecords(
            ref,
            {
              class: 'transient',
              code: 'job_unreadable',
              message: 'the job record could not be read back to submit it',
              retriable: true,
            },
            'none',
            now,
          ),
        );
        const emitter = await emitterOf(partition);
        await inTransaction(emitter, (tx) =>
          sendSplit(tx, [
            { topic: topics.results, messages: emitted.map((e) => e.result) },
            { topic: topics.status, messages: emitted.map((e) => e.status) },
            tombstones(partition, [intent.intent_id]),
          ]),
        );
        metrics.resultsEmitted.inc({ status: 'failed' }, emitted.length);
        recorded.add(intent.intent_id);
        await awaitView(`the end of ${intent.intent_id}`, () => !view.intent(intent.intent_id));
        return;
      }
      batch = await client.messages.batches.create({ requests });
      metrics.batchesCreated.inc();
      logger.info({ intentId: intent.intent_id, batchId: batch.id }, 'batch created for an intent');
    }
    const record: StoredBatch = {
      schema_version: 1,
      type: 'batch',
      batch_id: batch.id,
      intent_id: intent.intent_id,
      created_at: batch.created_at,
      expires_at: batch.expires_at,
      job_ids: Array.from({ length: intent.jobs.length }, (_, i) => intent.jobs.jobId(i)),
    };
    const emitter = await emitterOf(partition);
    await inTransaction(emitter, (tx) =>
      tx.send({
        topic: topics.batches,
        compression: CompressionTypes.GZIP,
        messages: [{ key: batch.id, value: encodeStored(record), partition }],
      }),
    );
    recorded.add(intent.intent_id);
    // Wait until the view has it, so the next pass does not reconcile the intent again.
    await awaitView(`the batch of ${intent.intent_id}`, () => view.batch(batch.id) !== undefined);
  };

  /** Streams the results of an ended batch and emits each job's outcome exactly once. */
  const emitResults = async (entry: BatchEntry, apiBatch: MessageBatch) => {
    const { batch, partition } = entry;
    const owner = view.intent(batch.intent_id);
    if (!owner) return;
    // The intent's refs stay in columns; a ref becomes an object for its own line only.
    const refs = owner.intent.jobs;
    const pastExpiry =
      Date.parse(apiBatch.ended_at ?? new Date(clock()).toISOString()) >=
      Date.parse(apiBatch.expires_at);
    const done = batch.emitted_lines ?? 0;
    const emitter = await emitterOf(partition);
    /** 1 at a ref's index once its line was read (a repeated custom_id is ignored). */
    const seen = new Uint8Array(refs.length);
    const deferred: {
      ref: StoredJobRef;
      action: Extract<OutcomeAction, { kind: 'dlq' | 'repack' }>;
    }[] = [];
    // Records go out as they are built, in transactions of `resultsChunk` lines (emission.ts).
    const emission = createEmission({
      producer: emitter,
      topics: { results: topics.results, status: topics.status },
    });
    let inChunk = 0;
    let chunkStartedAt = 0;
    // A chunk's transaction stays open while its lines stream in: commit early on a slow stream,
    // well before the broker's transaction timeout would abort it.
    const chunkMaxMs = Math.floor(config.transactionTimeoutMs / 3);
    let counts = { succeeded: 0, failed: 0 };
    const spend: Pick<Emitted, 'model' | 'costUsd' | 'savedUsd'>[] = [];
    let line = 0;

    const account = () => {
      metrics.resultsEmitted.inc({ status: 'succeeded' }, counts.succeeded);
      metrics.resultsEmitted.inc({ status: 'failed' }, counts.failed);
      for (const e of spend) {
        if (e.model) {
          metrics.cost.inc({ model: e.model, mode: 'batch' }, e.costUsd);
          metrics.costSaved.inc({ model: e.model }, e.savedUsd);
        }
      }
      spend.length = 0;
      counts = { succeeded: 0, failed: 0 };
    };

    const commitChunk = async (linesDone: number) => {
      const progress: StoredBatch = { ...batch, emitted_lines: linesDone };
      // The batch record lists every job id: compressed.
      await emission.commit(async (tx) => {
        await tx.send({
          topic: topics.batches,
          compression: CompressionTypes.GZIP,
          messages: [{ key: batch.batch_id, value: encodeStored(progress), partition }],
        });
      });
      inChunk = 0;
      account();
    };

    try {
      const decoder = await client.messages.batches.results(batch.batch_id);
      for await (const row of decoder) {
        const index = line++;
        const at = refs.indexOf(row.custom_id);
        if (at < 0 || seen[at] === 1) continue;
        seen[at] = 1;
        const ref = refs.at(at);
        const action = outcomeOf(row.result, {
          attempt: ref.attempt,
          maxAttempts: config.maxAttempts,
          pastExpiry,
        });
        if (action.kind === 'dlq' || action.kind === 'repack') {
          deferred.push({ ref, action });
          continue;
        }
        if (index < done) continue; // emitted before a restart
        const now = clock();
        const emitted =
          action.kind === 'succeeded'
            ? succeededRecords(ref, action.message, batch.batch_id, now)
            : failedRecords(ref, action.error, batch.batch_id, now);
        spend.push({ model: emitted.model, costUsd: emitted.costUsd, savedUsd: emitted.savedUsd });
        counts[action.kind === 'succeeded' ? 'succeeded' : 'failed'] += 1;
        if (inChunk === 0) chunkStartedAt = clock();
        await emission.add(emitted.result, emitted.status);
        inChunk += 1;
        if (inChunk >= config.resultsChunk || clock() - chunkStartedAt >= chunkMaxMs) {
          await commitChunk(line);
        }
      }
      // Jobs the results file does not name never ran: handled as expired.
      for (let at = 0; at < refs.length; at += 1) {
        if (seen[at] === 1) continue;
        const ref = refs.at(at);
        const action = outcomeOf(
          { type: 'expired' },
          { attempt: ref.attempt, maxAttempts: config.maxAttempts },
        );
        if (action.kind === 'dlq' || action.kind === 'repack') deferred.push({ ref, action });
      }

      // The final transaction: the rest, DLQ records with their failed results, re-packs, tombstones.
      const now = clock();
      const dead = deferred.filter((d) => d.action.kind === 'dlq');
      const repack = deferred.filter((d) => d.action.kind === 'repack');
      const sources =
        dead.length > 0
          ? await deps.readJobs(
              dead.map((d) => ({ partition: d.ref.source_partition, offset: d.ref.source_offset })),
            )
          : new Map();
      const dlqMessages: Message[] = [];
      const results: Message[] = [];
      const statuses: Message[] = [];
      for (const { ref, action } of dead) {
        const emitted = failedRecords(ref, action.error, batch.batch_id, now);
        results.push(emitted.result);
        statuses.push(emitted.status);
        counts.failed += 1;
        const source = sources.get(locationKey(ref.source_partition, ref.source_offset));
        if (source) dlqMessages.push(deadLetter(source, action.error, now));
        else
          logger.warn({ jobId: ref.job_id }, 'job record gone; failed result without DLQ record');
      }
      const batchesMessages: Message[] = [];
      if (repack.length > 0) {
        const jobs = repack.map(({ ref }) => ({ ...ref, attempt: ref.attempt + 1 }));
        const intent: StoredIntent = {
          schema_version: 1,
          type: 'intent',
          intent_id: repackIntentId(batch.batch_id),
          created_at: new Date(now).toISOString(),
          jobs,
          source_offsets: rangesOf(topics.jobs, jobs),
          repack: true,
        };
        batchesMessages.push({ key: intent.intent_id, value: encodeStored(intent), partition });
        for (const { ref, action } of repack) {
          statuses.push(
            batchedStatus({ ...ref, attempt: ref.attempt + 1 }, now, {
              error: action.error,
              failedAttempt: ref.attempt,
              batchId: batch.batch_id,
            }),
          );
          metrics.repacked.inc({ reason: action.error.code ?? 'transient' });
        }
      }
      batchesMessages.push(
        { key: batch.batch_id, value: null, partition },
        { key: batch.intent_id, value: null, partition },
      );
      // The lines since the last chunk are in the open transaction: the rest joins it.
      await emission.commit(async (tx) => {
        await sendSplit(tx, [
          { topic: topics.results, messages: results },
          { topic: topics.status, messages: statuses },
          { topic: topics.dlq, messages: dlqMessages },
        ]);
        // A re-pack intent can list many jobs: compressed (the topic allows 16 MB).
        await tx.send({
          topic: topics.batches,
          compression: CompressionTypes.GZIP,
          messages: batchesMessages,
        });
      });
      finished.add(batch.batch_id);
      account();
      if (dlqMessages.length > 0) {
        metrics.dlqRecords.inc(
          { topic: topics.dlq, error_class: 'mixed', stage: 'source' },
          dlqMessages.length,
        );
      }
      polls.delete(batch.batch_id);
      logger.info(
        { batchId: batch.batch_id, lines: line, dlq: dead.length, repacked: repack.length },
        'batch results emitted',
      );
      await awaitView(`the tombstone of ${batch.batch_id}`, () => !view.batch(batch.batch_id));
    } catch (error) {
      // Nothing of the open chunk is committed: it is emitted again from the last progress.
      await emission.abort();
      throw error;
    }
  };

  const poll = async (entry: BatchEntry, state: PollState) => {
    const { batch_id: batchId } = entry.batch;
    metrics.polls.inc({ trigger: state.trigger });
    const apiBatch = await client.messages.batches.retrieve(batchId);
    if (apiBatch.processing_status === 'ended') {
      await emitResults(entry, apiBatch);
      return;
    }
    const now = clock();
    if (
      now > Date.parse(apiBatch.expires_at) + config.expiryGraceMs &&
      !apiBatch.cancel_initiated_at
    ) {
      // Past its expiry and still running: stop it; its unfinished requests count as expired.
      await cancelQuietly(batchId, 'expired');
    }
    state.polls += 1;
    state.trigger = 'schedule';
    state.nextAt = now + pollDelay(state.polls, config.polling);
  };

  /** Cancels running batches no record names (created, then the creator crashed). */
  const sweepOrphans = async () => {
    await follower.sync(30_000);
    const named = view.namedBatchIds();
    const unbatched = view.intents().filter((e) => e.batchIds.length === 0);
    const now = clock();
    const since = now - 25 * 3_600_000; // 25 hours: longer than any batch runs
    for await (const batch of client.messages.batches.list({ limit: 100 })) {
      const created = Date.parse(batch.created_at);
      if (created < since) break;
      if (named.has(batch.id) || batch.processing_status !== 'in_progress') continue;
      if (batch.cancel_initiated_at || now - created < config.reconcileGraceMs) continue;
      // Still the possible match of an intent waiting for reconciliation: leave it.
      const candidate = unbatched.some(
        (e) =>
          e.intent.jobs.length === totalOf(batch) &&
          created >= Date.parse(e.intent.created_at) - MATCH_SKEW_MS,
      );
      if (candidate) continue;
      await cancelQuietly(batch.id, 'orphan');
    }
  };

  const pass = async () => {
    if (!follower.restored()) await follower.sync(60_000);
    const owned = ownership.owned();
    if (owned.size === 0) return;
    const now = clock();
    const attempt = async (what: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        logger.warn({ err: error, what }, 'batch work failed; retried on a later pass');
        // A commit or abort that failed (broker restarted, coordinator moved) leaves a kafkajs
        // transactional producer stuck in COMMITTING/ABORTING for good ("Cannot call
        // beginTransaction in state COMMITTING", found by the chaos suite). New producers with
        // the same transactional ids fence the old ones, and the broker completes or aborts what
        // they left open.
        discardEmitters();
      }
    };
    for (const entry of view.batches()) {
      if (finished.has(entry.batch.batch_id)) continue;
      if (owned.has(entry.partition) && !view.isChosen(entry.batch.batch_id)) {
        await attempt(`duplicate ${entry.batch.batch_id}`, () => dropDuplicate(entry));
      }
    }
    for (const entry of view.intents()) {
      if (!owned.has(entry.partition) || entry.batchIds.length > 0) continue;
      if (recorded.has(entry.intent.intent_id)) continue;
      if (deps.packer.inFlight(entry.intent.intent_id)) continue;
      const age = now - Date.parse(entry.intent.created_at);
      const abandoned = deps.packer.abandoned(entry.intent.intent_id);
      if (!entry.intent.repack && !abandoned && age < config.reconcileGraceMs) continue;
      await attempt(`reconcile ${entry.intent.intent_id}`, () => reconcile(entry));
    }
    for (const entry of view.batches()) {
      if (stopped) return;
      if (!owned.has(entry.partition) || !view.isChosen(entry.batch.batch_id)) continue;
      if (finished.has(entry.batch.batch_id)) continue;
      const state = stateOf(entry);
      if (clock() < state.nextAt) continue;
      await attempt(`poll ${entry.batch.batch_id}`, () => poll(entry, state));
    }
    for (const id of recorded) if (!view.intent(id)) recorded.delete(id);
    for (const id of finished) if (!view.batch(id)) finished.delete(id);
    if (owned.has(0) && now - lastSweep >= config.orphanSweepIntervalMs) {
      lastSweep = now;
      await attempt('orphan sweep', sweepOrphans);
    }
  };

  const tick = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await pass();
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    tick,
    pollNow(batchId) {
      const state = polls.get(batchId);
      if (state) {
        state.nextAt = 0;
        state.trigger = 'control';
      } else {
        controls.set(batchId, clock());
      }
      void tick().catch(() => undefined);
    },
    noteBatch(batch) {
      void batch;
      void tick().catch(() => undefined);
    },
    ownershipChanged(owned) {
      for (const [partition, emitter] of [...emitters]) {
        if (owned.has(partition)) continue;
        emitters.delete(partition);
        void emitter.then((p) => p.disconnect()).catch(() => undefined);
      }
    },
    async stop() {
      stopped = true;
      await running?.catch(() => undefined);
      await Promise.all(
        [...emitters.values()].map(async (e) => (await e.catch(() => undefined))?.disconnect()),
      ).catch(() => undefined);
      emitters.clear();
    },
  };
}

/** Id of the intent that re-packs a batch's transient failures (deterministic, <= 64 chars). */
export function repackIntentId(batchId: string): string {
  const id = `r-${batchId}`;
  return id.length <= 64 ? id : id.slice(0, 64);
}

/** The source ranges of some job refs, one per partition (min..max offset). */
export function rangesOf(
  topic: string,
  jobs: readonly StoredJobRef[],
): StoredIntent['source_offsets'] {
  const byPartition = new Map<number, { from: bigint; to: bigint }>();
  for (const job of jobs) {
    const offset = BigInt(job.source_offset);
    const range = byPartition.get(job.source_partition);
    byPartition.set(job.source_partition, {
      from: range && range.from < offset ? range.from : offset,
      to: range && range.to > offset ? range.to : offset,
    });
  }
  return [...byPartition].map(([partition, { from, to }]) => ({
    topic,
    partition,
    from_offset: from.toString(),
    to_offset: to.toString(),
  }));
}
