/**
 * The compatibility gate. `compat/snapshots/` holds the JSON Schema of every contract version as
 * last released; `compat/fixtures/` holds records as producers of each version wrote them. A
 * schema change passes only if it breaks neither (README.md, "Versioning").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { findBreakingChanges } from './compat.ts';
import { CONTRACT_LIST, contractByName, contracts } from './contracts.ts';
import { schemaFileName } from './generated.ts';
import { toJsonSchema, type JsonObject } from './json-schema.ts';
import { safeParse } from './parse.ts';

const compatDir = resolve(__dirname, '../compat');
const snapshotDir = join(compatDir, 'snapshots');
const fixtureDir = join(compatDir, 'fixtures');
const UPDATE =
  'run: node --conditions=@claude-pipeline/source libs/schemas/src/bin/update-compat.ts';

const snapshotFiles = readdirSync(snapshotDir).filter((name) => name.endsWith('.json'));
const readJson = (path: string): JsonObject => JSON.parse(readFileSync(path, 'utf8')) as JsonObject;

interface Fixture {
  file: string;
  contract: string;
  version: number;
  value: unknown;
}
const fixtures: Fixture[] = readdirSync(fixtureDir)
  .filter((name) => name.endsWith('.json'))
  .map((file) => ({
    file,
    ...(readJson(join(fixtureDir, file)) as unknown as Omit<Fixture, 'file'>),
  }));

describe('schema snapshots', () => {
  it('exist for every contract version', () => {
    const missing = CONTRACT_LIST.map(schemaFileName).filter(
      (name) => !snapshotFiles.includes(name),
    );
    expect({ missing, hint: missing.length > 0 ? UPDATE : '' }).toEqual({ missing: [], hint: '' });
  });

  it('belong to a contract version that still exists (retire one by deleting it on purpose)', () => {
    const current = new Set(CONTRACT_LIST.map(schemaFileName));
    expect(snapshotFiles.filter((name) => !current.has(name))).toEqual([]);
  });

  it.each(CONTRACT_LIST.map((c) => [c.name, c] as const))(
    '%s: no breaking change',
    (_name, contract) => {
      const path = join(snapshotDir, schemaFileName(contract));
      const breaking = findBreakingChanges(readJson(path), toJsonSchema(contract));
      expect(breaking).toEqual([]);
    },
  );

  it('are current (an additive change still refreshes the baseline, so it is reviewed)', () => {
    const stale = CONTRACT_LIST.filter(
      (contract) =>
        !isDeepStrictEqual(
          readJson(join(snapshotDir, schemaFileName(contract))),
          toJsonSchema(contract),
        ),
    ).map((contract) => contract.name);
    expect({ stale, hint: stale.length > 0 ? UPDATE : '' }).toEqual({ stale: [], hint: '' });
  });

  it('would catch a breaking change to the public result contract', () => {
    const snapshot = readJson(join(snapshotDir, schemaFileName(contracts.resultRecord)));
    const edited = structuredClone(snapshot) as {
      oneOf: { properties: JsonObject; required: string[] }[];
    };
    const succeeded = edited.oneOf[0]!;
    delete succeeded.properties.usage;
    succeeded.required = [...succeeded.required.filter((name) => name !== 'usage'), 'region'];
    succeeded.properties.region = { type: 'string' };
    expect(findBreakingChanges(snapshot, edited as unknown as JsonObject)).toEqual([
      { path: '{status="succeeded"}/usage', change: 'property removed' },
      { path: '{status="succeeded"}/region', change: 'new required property' },
    ]);
  });
});

describe('fixtures of released versions', () => {
  it('cover every contract', () => {
    const covered = new Set(fixtures.map((f) => f.contract));
    expect(CONTRACT_LIST.map((c) => c.name).filter((name) => !covered.has(name))).toEqual([]);
  });

  it.each(fixtures.map((f) => [f.file, f] as const))(
    '%s still parses, losing nothing',
    (_file, fixture) => {
      const contract = contractByName(fixture.contract);
      expect(contract?.version).toBe(fixture.version);
      const result = safeParse(contract!, fixture.value);
      expect(result.ok ? [] : result.error.issues).toEqual([]);
      expect(result.ok && result.value).toEqual(fixture.value);
    },
  );

  it('of records and responses still parse with a field added by a later minor version', () => {
    const tolerant = fixtures.filter((f) => f.contract !== contracts.jobSubmission.name);
    for (const fixture of tolerant) {
      const withExtra = { ...(fixture.value as object), added_later: { any: 'shape' } };
      expect([fixture.file, safeParse(contractByName(fixture.contract)!, withExtra).ok]).toEqual([
        fixture.file,
        true,
      ]);
    }
  });
});
