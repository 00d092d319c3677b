import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeChangelogReader } from './fake-changelog-reader.ts';
import { openPartitionDb, type PartitionDb } from './partition-db.ts';
import { planRestore, replayChangelog } from './restore.ts';

const HOUR = 3_600_000;
const base = { low: 0, end: 100, now: 10 * HOUR, maxLocalStaleMs: HOUR };

describe('planRestore', () => {
  it('replays only the tail of an intact, recent checkpoint', () => {
    expect(planRestore({ ...base, checkpoint: 60, writtenAt: 10 * HOUR - 1000 })).toEqual({
      rebuild: false,
      from: 60,
    });
  });

  it('treats a checkpoint at the end as up to date', () => {
    expect(planRestore({ ...base, checkpoint: 100, writtenAt: 10 * HOUR })).toEqual({
      rebuild: false,
      from: 100,
    });
  });

  it('rebuilds from the log start without a checkpoint', () => {
    expect(
      planRestore({ ...base, low: 7, checkpoint: undefined, writtenAt: undefined }),
    ).toMatchObject({
      rebuild: true,
      from: 7,
    });
  });

  it('rebuilds when records below the log start were deleted', () => {
    expect(planRestore({ ...base, low: 50, checkpoint: 40, writtenAt: 10 * HOUR })).toMatchObject({
      rebuild: true,
      from: 50,
    });
  });

  it('rebuilds when the checkpoint is beyond the log end (topic recreated)', () => {
    expect(planRestore({ ...base, checkpoint: 101, writtenAt: 10 * HOUR })).toMatchObject({
      rebuild: true,
      from: 0,
    });
  });

  it('rebuilds a DB unwritten for longer than tombstones are kept', () => {
    const plan = planRestore({ ...base, checkpoint: 60, writtenAt: 10 * HOUR - HOUR - 1 });
    expect(plan).toMatchObject({ rebuild: true, from: 0 });
  });
});

describe('replayChangelog', () => {
  let dir: string;
  let db: PartitionDb;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'state-replay-'));
    db = openPartitionDb({ path: join(dir, '0'), topic: 'changelog', partition: 0 });
  });

  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies every record of [from, to) in order and checkpoints the end', async () => {
    const reader = createFakeChangelogReader();
    reader.append(0, { key: 'a', value: '1' });
    reader.append(0, { key: 'b', value: '2' });
    reader.append(0, { key: 'a', value: '3' });
    reader.append(0, { key: 'b', value: null });
    reader.append(0, { key: 'c', value: '4', offset: 10 });

    const applied = await replayChangelog({
      db,
      reader,
      partition: 0,
      from: 0,
      to: 12,
      clock: () => 5,
    });

    expect(applied).toBe(5);
    expect(db.value(Buffer.from('a'))?.toString()).toBe('3');
    expect(db.has(Buffer.from('b'))).toBe(false);
    expect(db.value(Buffer.from('c'))?.toString()).toBe('4');
    expect(db.checkpoint()).toBe(12);
    expect(db.writtenAt()).toBe(5);
  });

  it('keeps the batches applied before a reader failure, with their checkpoint', async () => {
    const reader = createFakeChangelogReader();
    for (let i = 0; i < 10; i++) reader.append(0, { key: `k${i}`, value: String(i) });
    const failing = {
      ...reader,
      read: async (request: Parameters<typeof reader.read>[0]) => {
        await reader.read({
          ...request,
          onBatch: async (batch) => {
            if (batch.nextOffset > 6) throw new Error('broker gone');
            await request.onBatch(batch);
          },
        });
      },
    };

    await expect(
      replayChangelog({ db, reader: failing, partition: 0, from: 0, to: 10, clock: () => 1 }),
    ).rejects.toThrow('broker gone');
    // The batches before the failure stay applied with their checkpoint: a retry resumes there.
    expect(db.checkpoint()).toBe(6);
    expect(db.size()).toBe(6);
  });
});
