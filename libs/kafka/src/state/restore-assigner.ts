import kafkajs, { type PartitionAssigner } from 'kafkajs';

// kafkajs is CommonJS and Node's named-export detection misses AssignerProtocol.
const { AssignerProtocol } = kafkajs;

const VERSION = 1;

/**
 * A partition assigner that gives one chosen partition of one topic to the group's first member
 * and nothing to anyone else. kafkajs has no `assign()`: a restore consumer joins a throwaway group
 * of its own, and this assigner makes that group fetch exactly the changelog partition being
 * restored instead of every partition of the topic.
 */
export function singlePartitionAssigner(topic: string, partition: number): PartitionAssigner {
  const name = 'StateRestoreAssigner';
  const encode = (assignment: Record<string, number[]>) =>
    AssignerProtocol.MemberAssignment.encode({
      version: VERSION,
      assignment,
      userData: Buffer.alloc(0),
    });
  return () => ({
    name,
    version: VERSION,
    async assign({ members }) {
      // The group is unique to one restore, so it has one member; anyone else gets nothing.
      const ids = members.map((m) => m.memberId).sort();
      return ids.map((memberId, index) => ({
        memberId,
        memberAssignment: encode(index === 0 ? { [topic]: [partition] } : {}),
      }));
    },
    protocol({ topics }) {
      return {
        name,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: VERSION,
          topics,
          userData: Buffer.alloc(0),
        }),
      };
    },
  });
}
