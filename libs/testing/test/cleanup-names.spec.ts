import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  isTestResourceName,
  nameTokens,
  openTestResourceRecord,
  recordedTokens,
  TEST_RESOURCES_FILE_ENV,
  uniqueName,
  workspaceRoot,
} from '../src/index.ts';

// The real pipeline's names, which `npm start` uses on the same local broker: the topic catalog
// of libs/kafka (docs/topics.json is generated from it, and a libs/schemas test keeps it up to
// date) and the consumer groups the services derive from the prefix.
const catalog = JSON.parse(readFileSync(join(workspaceRoot(), 'docs/topics.json'), 'utf8')) as {
  topics: { name: string }[];
};
const catalogTopics = catalog.topics.map((t) => t.name);
const pipelineGroups = [
  'pipeline.ingest',
  'pipeline.dedupe',
  'pipeline.claude-worker',
  'pipeline.batch-poller',
  'pipeline.batch-poller.owners',
  'pipeline.batch-poller.control.ce13688f-4461-46ee-9ece-731e3888756b',
  'pipeline.batch-poller.view.7bae1a24-3a68-4bb2-984d-964e7b4607b4',
  'pipeline.notifier',
  'pipeline.cli',
];
const internal = ['__consumer_offsets', '__transaction_state'];

/** What a test run typically builds from one `uniqueName`. */
function derivedNames(name: string): string[] {
  const underscored = name.replace(/-/g, '_');
  return [
    name,
    underscored,
    `${name}.jobs`,
    `${underscored}.claude-worker.retry.1`,
    `${underscored}.claude-worker`,
    `${name}.batch-poller.control.ce13688f-4461-46ee-9ece-731e3888756b`,
    `${name}.auth`,
  ];
}

describe('test resource names', () => {
  it('the pipeline catalog is what the test reads', () => {
    expect(catalogTopics).toEqual(expect.arrayContaining(['pipeline.jobs', 'pipeline.results']));
    expect(catalogTopics.length).toBeGreaterThan(10);
  });

  it('no real pipeline topic or group, nor an internal topic, embeds a token', () => {
    for (const name of [...catalogTopics, ...pipelineGroups, ...internal]) {
      expect(nameTokens(name)).toEqual([]);
    }
  });

  it('real pipeline names never match, whatever the tokens of the run', () => {
    const tokens = new Set(
      Array.from({ length: 1000 }, () => nameTokens(uniqueName('t'))[0]!).concat(
        // Tokens built from parts of real names, as a hostile record would hold.
        ['pipeline-jobs', 'pipeline-00000000', 'claude-worker'],
      ),
    );
    for (const name of [...catalogTopics, ...pipelineGroups, ...internal]) {
      expect(isTestResourceName(name, tokens)).toBe(false);
    }
    // Another prefix of the catalog (KAFKA_TOPIC_PREFIX=staging) is no test name either.
    for (const name of catalogTopics.map((n) => n.replace(/^pipeline\./, 'staging.'))) {
      expect(isTestResourceName(name, tokens)).toBe(false);
    }
  });

  it('every name derived from a uniqueName of the run matches, with either separator', () => {
    for (const prefix of ['test', 'g', 'bp', 'cw', 'e2e', 'bench-batch', 'ingest_t', 'reader12']) {
      const name = uniqueName(prefix);
      const tokens = new Set(nameTokens(name));
      expect(tokens.size).toBe(1);
      for (const derived of derivedNames(name)) {
        expect([derived, isTestResourceName(derived, tokens)]).toEqual([derived, true]);
      }
    }
  });

  it("another run's names (a parallel Jest run, a benchmark) do not match", () => {
    const ours = new Set(nameTokens(uniqueName('bp')));
    for (const theirs of [
      uniqueName('bp'),
      uniqueName('bench-batch'),
      'bench-dd-mws13u1e-2.jobs',
    ]) {
      for (const derived of derivedNames(theirs)) {
        expect(isTestResourceName(derived, ours)).toBe(false);
      }
    }
  });

  it('a word followed by 8 hex digits (a UUID) is no token: its time is not one of uniqueName', () => {
    for (const name of [
      'cleanup-unrelated-929f774c-fbcc-4edc-a80a-da2e29862aa1',
      'another-team-1d7536a8-844e-4ea7-97fe-23ff281591e2',
      'poison-reader-2020d8e9-29e5-48b7-bbb2-7342729fc4f0',
    ]) {
      expect(nameTokens(name)).toEqual([]);
    }
    // Not from the future either (a clock far ahead), nor before 2020.
    expect(nameTokens(`t-${(Date.now() + 7 * 86_400_000).toString(36)}-0123abcd`)).toEqual([]);
    expect(nameTokens(`t-${Date.UTC(2019, 0, 1).toString(36)}-0123abcd`)).toEqual([]);
  });

  it('an internal topic never matches, even with a token in it', () => {
    const name = uniqueName('x');
    expect(isTestResourceName(`__${name}`, new Set(nameTokens(name)))).toBe(false);
  });

  it('property: the token of uniqueName(prefix) is found in every name built from it', () => {
    const part = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/);
    fc.assert(
      fc.property(part, fc.array(part, { maxLength: 3 }), (prefix, suffix) => {
        const name = uniqueName(prefix);
        const token = name.slice(prefix.length + 1);
        const built = [name, ...suffix].join('.');
        expect(nameTokens(built)).toContain(token);
        expect(nameTokens(built.replace(/-/g, '_'))).toContain(token);
        // Without the token, the same shape never matches.
        expect(isTestResourceName(built, new Set(['zzzzzzzz-00000000']))).toBe(false);
      }),
    );
  });

  describe('the record of a run', () => {
    let dir: string;
    const saved = process.env[TEST_RESOURCES_FILE_ENV];

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'test-resources-'));
    });

    afterEach(() => {
      if (saved === undefined) delete process.env['PIPELINE_TEST_RESOURCES_FILE'];
      else process.env[TEST_RESOURCES_FILE_ENV] = saved;
      rmSync(dir, { recursive: true, force: true });
    });

    it('uniqueName records its tokens in the file the run opened; bad lines are ignored', () => {
      const file = openTestResourceRecord(dir);
      expect(process.env[TEST_RESOURCES_FILE_ENV]).toBe(file);
      const names = [uniqueName('a'), uniqueName('b-c')];
      expect(recordedTokens(file)).toEqual(new Set(names.flatMap(nameTokens)));

      // A damaged or foreign line widens nothing.
      rmSync(file);
      openTestResourceRecord(dir);
      const again = process.env[TEST_RESOURCES_FILE_ENV]!;
      uniqueName('d');
      appendFileSync(again, 'pipeline.jobs\n\n* everything\nmws13u1e\n');
      expect(recordedTokens(again).size).toBe(1);
    });

    it('without a record (a unit test, a benchmark) uniqueName writes nothing', () => {
      delete process.env['PIPELINE_TEST_RESOURCES_FILE'];
      expect(() => uniqueName('x')).not.toThrow();
      expect(recordedTokens(join(dir, 'none.names'))).toEqual(new Set());
    });
  });
});
