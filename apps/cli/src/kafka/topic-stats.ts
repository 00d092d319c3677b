import type { Admin } from 'kafkajs';

/**
 * Sizes and consumer lag. kafkajs has no DescribeLogDirs, so a topic's size is its record count
 * (high watermark minus log start, per partition; on a compacted topic an upper bound). Lag is
 * per consumer group that has committed offsets on the topic: high watermark minus committed
 * offset, summed over the partitions it committed.
 */
export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
  records: number;
}

export interface GroupPartitionLag {
  partition: number;
  /** -1: nothing committed on this partition. */
  committed: number;
  high: number;
  lag: number | undefined;
}

export interface GroupLag {
  groupId: string;
  state: string;
  members: number;
  topic: string;
  /** Sum over committed partitions. */
  lag: number;
  partitions: GroupPartitionLag[];
}

export interface TopicStats {
  topic: string;
  exists: boolean;
  partitions: number;
  records: number;
  offsets: PartitionOffsets[];
  groups: GroupLag[];
}

/** Throwaway groups of `listDlq` (deleted after use, but one may be mid-read). */
const IGNORED_GROUP = /^pipeline-dlq-reader-/;

export interface TopicStatsOptions {
  /** Which consumer groups to ask for offsets (default: all). */
  groupFilter?: (groupId: string) => boolean;
}

export async function collectTopicStats(
  admin: Admin,
  topics: readonly string[],
  options: TopicStatsOptions = {},
): Promise<TopicStats[]> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  const offsets = new Map<string, PartitionOffsets[]>();
  await Promise.all(
    present.map(async (topic) => {
      const list = await admin.fetchTopicOffsets(topic);
      offsets.set(
        topic,
        list
          .map((p) => {
            const low = Number(p.low);
            const high = Number(p.high);
            return { partition: p.partition, low, high, records: Math.max(0, high - low) };
          })
          .sort((a, b) => a.partition - b.partition),
      );
    }),
  );

  const lags =
    present.length === 0
      ? []
      : await collectGroupLag(admin, present, offsets, options.groupFilter ?? (() => true));
  return topics.map((topic) => {
    const parts = offsets.get(topic) ?? [];
    return {
      topic,
      exists: existing.has(topic),
      partitions: parts.length,
      records: parts.reduce((sum, p) => sum + p.records, 0),
      offsets: parts,
      groups: lags.filter((g) => g.topic === topic),
    };
  });
}

async function collectGroupLag(
  admin: Admin,
  topics: readonly string[],
  offsets: ReadonlyMap<string, PartitionOffsets[]>,
  groupFilter: (groupId: string) => boolean,
): Promise<GroupLag[]> {
  const { groups } = await admin.listGroups();
  const ids = groups
    .filter(
      (g) =>
        (g.protocolType === 'consumer' || g.protocolType === '') &&
        !IGNORED_GROUP.test(g.groupId) &&
        groupFilter(g.groupId),
    )
    .map((g) => g.groupId)
    .sort();
  if (ids.length === 0) return [];
  // Groups come and go while we look (another client may delete one): a group that cannot be
  // described or whose offsets cannot be read is left out, it does not fail the listing.
  const described = await admin.describeGroups(ids).catch(() => ({ groups: [] }));
  const info = new Map(described.groups.map((g) => [g.groupId, g]));
  const result: GroupLag[] = [];
  await Promise.all(
    ids.map(async (groupId) => {
      const committed = await admin
        .fetchOffsets({ groupId, topics: [...topics] })
        .catch(() => [] as Awaited<ReturnType<Admin['fetchOffsets']>>);
      for (const { topic, partitions } of committed) {
        if (!partitions.some((p) => Number(p.offset) >= 0)) continue;
        const highs = new Map((offsets.get(topic) ?? []).map((p) => [p.partition, p.high]));
        const rows = partitions
          .map((p): GroupPartitionLag => {
            const c = Number(p.offset);
            const high = highs.get(p.partition) ?? 0;
            return {
              partition: p.partition,
              committed: c,
              high,
              lag: c >= 0 ? Math.max(0, high - c) : undefined,
            };
          })
          .sort((a, b) => a.partition - b.partition);
        result.push({
          groupId,
          state: info.get(groupId)?.state ?? 'Unknown',
          members: info.get(groupId)?.members.length ?? 0,
          topic,
          lag: rows.reduce((sum, r) => sum + (r.lag ?? 0), 0),
          partitions: rows,
        });
      }
    }),
  );
  return result.sort(
    (a, b) => a.topic.localeCompare(b.topic) || a.groupId.localeCompare(b.groupId),
  );
}
