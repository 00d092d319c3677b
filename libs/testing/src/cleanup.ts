import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { LOCAL_BROKERS, testKafka } from './broker.ts';
import { isTestResourceName, nameTokens, TEST_RESOURCES_FILE_ENV } from './names.ts';
import { workspaceRoot } from './workspace.ts';

/**
 * Cleanup of the topics and consumer groups tests create on the shared broker. Every such name
 * comes from `uniqueName` (directly, through `createTestTopic`, or as a `KAFKA_TOPIC_PREFIX` whose
 * catalog topics and service groups are `<prefix>.<...>`), so it embeds a random token; the
 * integration tier records the tokens its tests drew (one file per Jest run) and, after the
 * run, deletes exactly the topics and groups that embed one of them (`isTestResourceName`). The
 * pipeline's own `pipeline.*` topics, a benchmark's topics and those of a Jest run still going on
 * in parallel embed no token of this run, so they are never touched.
 */

export interface CleanupOptions {
  /**
   * Names returned by `uniqueName`/`createTestTopic`, or built from one (`${prefix}.jobs`): every
   * topic and group embedding the same token is deleted. A name without a token is ignored.
   * Default: the names recorded in `recordFile`.
   */
  names?: Iterable<string>;
  /** A record written by `uniqueName`. Default: this run's (`PIPELINE_TEST_RESOURCES_FILE`). */
  recordFile?: string;
  /** Default `LOCAL_BROKERS`. */
  brokers?: string[];
  /** A connected admin to use instead of a new client. */
  admin?: Admin;
  /** Give up (and report it) after this long. Default 60 s. */
  timeoutMs?: number;
}

export interface CleanupReport {
  /** Matching topics and groups that are gone. */
  deletedTopics: string[];
  deletedGroups: string[];
  /** Matching ones still there (a group with live members, a failed request, the timeout). */
  leftTopics: string[];
  leftGroups: string[];
  /** One line per failure; the cleanup itself never throws. */
  errors: string[];
}

/** The folder of the run records: `${PIPELINE_RUN_DIR:-<repo>/.run}/test-resources`. */
export function testResourcesDir(): string {
  return join(process.env['PIPELINE_RUN_DIR'] ?? join(workspaceRoot(), '.run'), 'test-resources');
}

/**
 * Starts the record of a test run: creates an empty file of its own (the pid and a token in its
 * name) and points `PIPELINE_TEST_RESOURCES_FILE` at it, so `uniqueName` in this process and in
 * everything started after (Jest workers, spawned processes) appends to it.
 */
export function openTestResourceRecord(dir: string = testResourcesDir()): string {
  mkdirSync(dir, { recursive: true });
  const token = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const file = join(dir, `${process.pid}-${token}.names`);
  writeFileSync(file, '', { flag: 'wx' });
  process.env[TEST_RESOURCES_FILE_ENV] = file;
  return file;
}

/** The tokens recorded in a run's file (none if it does not exist). */
export function recordedTokens(file: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return new Set();
  }
  const tokens = new Set<string>();
  for (const line of text.split('\n')) {
    const token = line.split(' ', 1)[0];
    // Only well-formed tokens: a damaged line must not widen what gets deleted.
    if (token && nameTokens(token).includes(token)) tokens.add(token);
  }
  return tokens;
}

/**
 * Deletes the topics and consumer groups of the given names (or of a run's record, by default
 * this run's) from the broker. Never throws: failures are in the report. Transactional ids
 * cannot be deleted (the broker expires them after `transactional.id.expiration.ms`).
 */
export async function cleanupTestResources(options: CleanupOptions = {}): Promise<CleanupReport> {
  const report: CleanupReport = {
    deletedTopics: [],
    deletedGroups: [],
    leftTopics: [],
    leftGroups: [],
    errors: [],
  };
  let tokens: Set<string>;
  if (options.names !== undefined) {
    tokens = new Set([...options.names].flatMap(nameTokens));
  } else {
    const file = options.recordFile ?? process.env[TEST_RESOURCES_FILE_ENV];
    tokens = file === undefined ? new Set() : recordedTokens(file);
  }
  if (tokens.size === 0) return report;

  const admin =
    options.admin ?? testKafka(options.brokers ?? LOCAL_BROKERS, 'test-cleanup').admin();
  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const ours = options.admin === undefined;
  const state = { aborted: false };
  const work = deleteMatching(admin, tokens, ours, report, state);
  try {
    if ((await Promise.race([work, timedOut])) === 'timeout') {
      // Stop the abandoned work at its next admin call: kafkajs would otherwise reconnect for it
      // after the disconnect below, and the open socket would keep the test run alive.
      state.aborted = true;
      // A snapshot: the abandoned work may still change `report` until the disconnect ends it.
      return {
        ...report,
        leftTopics: [...report.leftTopics],
        leftGroups: [...report.leftGroups],
        errors: [...report.errors, `timed out after ${timeoutMs} ms`],
      };
    }
  } finally {
    clearTimeout(timer);
    if (ours) {
      await admin.disconnect().catch(() => undefined);
      // And once more when the abandoned work has given up (a no-op if it had finished).
      void work.finally(() => admin.disconnect().catch(() => undefined));
    }
  }
  return report;
}

async function deleteMatching(
  admin: Admin,
  tokens: ReadonlySet<string>,
  connect: boolean,
  report: CleanupReport,
  state: { aborted: boolean },
): Promise<'done'> {
  const matches = (name: string) => isTestResourceName(name, tokens);
  let topics: string[] = [];
  let groups: string[] = [];
  try {
    if (connect) await admin.connect();
    topics = (await admin.listTopics()).filter(matches);
    groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter(matches);
  } catch (error) {
    report.errors.push(`listing topics and groups: ${message(error)}`);
    return 'done';
  }
  // Until the end shows otherwise, everything matching is still there.
  report.leftTopics = topics;
  report.leftGroups = groups;

  // Groups first: a group's committed offsets would otherwise outlive its topics.
  if (state.aborted) return 'done';
  if (groups.length > 0) {
    await admin.deleteGroups(groups).catch((error: unknown) => {
      report.errors.push(`deleting consumer groups: ${message(error)}`);
    });
  }
  // One request per 100 topics. kafkajs reports the first failed topic only (and fails the
  // whole call for a topic that a test deleted meanwhile): what is left is listed again below.
  for (let i = 0; i < topics.length; i += 100) {
    if (state.aborted) return 'done';
    await admin
      .deleteTopics({ topics: topics.slice(i, i + 100), timeout: 30_000 })
      .catch((error: unknown) => {
        report.errors.push(`deleting topics: ${message(error)}`);
      });
  }

  if (state.aborted) return 'done';
  try {
    const presentGroups = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
    report.leftGroups = groups.filter((g) => presentGroups.has(g));
    // The broker may list a deleted topic for a moment after DeleteTopics answered (seen with
    // a request of 100 topics on the local KRaft broker): look again for a few seconds.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const presentTopics = new Set(await admin.listTopics());
      report.leftTopics = topics.filter((t) => presentTopics.has(t));
      if (report.leftTopics.length === 0 || Date.now() >= deadline || state.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    report.errors.push(`listing what is left: ${message(error)}`);
  }
  report.deletedTopics = topics.filter((t) => !report.leftTopics.includes(t));
  report.deletedGroups = groups.filter((g) => !report.leftGroups.includes(g));
  // An error that left nothing behind (a topic already deleted by its test) is no failure.
  if (report.leftTopics.length === 0 && report.leftGroups.length === 0) report.errors = [];
  return 'done';
}

function message(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // KafkaJSDeleteGroupsError lists the failed groups with their error (e.g. GROUP_NOT_EMPTY).
  const groups = (error as { groups?: { groupId: string; error?: { type?: string } }[] }).groups;
  const detail = groups
    ?.slice(0, 3)
    .map((g) => `${g.groupId}: ${g.error?.type ?? 'error'}`)
    .concat(groups.length > 3 ? [`${groups.length - 3} more`] : [])
    .join(', ');
  return detail ? `${error.message} (${detail})` : error.message;
}

/**
 * The global teardown's step: cleans up a run's record and deletes the file when nothing is
 * left (it stays, for another attempt, when something is). Returns the one line to print.
 */
export async function cleanupTestRun(
  file: string,
  options: Omit<CleanupOptions, 'names' | 'recordFile'> = {},
): Promise<{ ok: boolean; line: string; report: CleanupReport }> {
  const report = await cleanupTestResources({ ...options, recordFile: file });
  const left = report.leftTopics.length + report.leftGroups.length;
  const ok = left === 0 && report.errors.length === 0;
  if (ok) rmSync(file, { force: true });
  const deleted = `deleted ${report.deletedTopics.length} topics and ${report.deletedGroups.length} consumer groups of this run`;
  const line = ok
    ? deleted
    : `${deleted}; left ${report.leftTopics.length} topics and ${report.leftGroups.length} groups (record kept: ${file}): ${report.errors.join('; ') || 'still present'}`;
  return { ok, line: line.replace(/\s+/g, ' '), report };
}
