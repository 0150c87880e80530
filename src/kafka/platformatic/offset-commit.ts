// OffsetCommit with a metadata string, for groups nobody joins (georep's lineage groups, src/plan/topic-lineage.ts).
// The library's Admin.alterConsumerGroupOffsets always sends null metadata, so the requests are sent here: the
// groups' coordinators found with one FindCoordinator, then one OffsetCommit v8 per group without a generation
// or member, as Kafka's own AdminClient.alterConsumerGroupOffsets sends it (brokers 2.3 to 4.x answer v8).
// Thousands of flows starting each store their lineage in their lane's group: one commit carries them all.
import {
  type Admin,
  type Connection,
  FindCoordinatorKeyTypes,
  findCoordinatorV4,
  kGetBootstrapConnection,
  offsetCommitV8,
} from '@platformatic/kafka';
import type { OffsetToCommit } from '../port.js';

const NO_GENERATION = -1;
const NO_MEMBER = '';
const NO_LEADER_EPOCH = -1;

/** Offsets of one topic to commit to a group, with their metadata. */
export interface TopicOffsetsToCommit {
  readonly groupId: string;
  readonly topic: string;
  readonly offsets: readonly OffsetToCommit[];
}

/**
 * Commits every entry of `commits`: one OffsetCommit per group, all its topics in it (a topic named twice for
 * a group is committed as its last entry says). Rejects with the library's error: a ResponseError when the
 * brokers answered with an error for some partitions.
 */
export async function commitOffsetsWithMetadata(
  admin: Admin,
  commits: readonly TopicOffsetsToCommit[],
): Promise<void> {
  const byGroup = new Map<string, Map<string, readonly OffsetToCommit[]>>();
  for (const { groupId, topic, offsets } of commits) {
    const topics = byGroup.get(groupId) ?? new Map<string, readonly OffsetToCommit[]>();
    topics.set(topic, offsets);
    byGroup.set(groupId, topics);
  }
  const bootstrap = await new Promise<Connection>((resolve, reject) =>
    admin[kGetBootstrapConnection]((error, found) => (error ? reject(error) : resolve(found!))),
  );
  const found = await findCoordinatorV4.api.async(bootstrap, FindCoordinatorKeyTypes.GROUP, [
    ...byGroup.keys(),
  ]);
  await Promise.all(
    [...byGroup].map(async ([groupId, topics]) => {
      const coordinator = found.coordinators.find(({ key }) => key === groupId);
      if (coordinator === undefined) throw new Error(`no coordinator for group ${groupId}`);
      const connection = await admin.connections.get({ host: coordinator.host, port: coordinator.port });
      await offsetCommitV8.api.async(
        connection,
        groupId,
        NO_GENERATION,
        NO_MEMBER,
        null,
        [...topics].map(([name, offsets]) => ({
          name,
          partitions: offsets.map(({ partition, offset, metadata }) => ({
            partitionIndex: partition,
            committedOffset: offset,
            committedLeaderEpoch: NO_LEADER_EPOCH,
            committedMetadata: metadata ?? null,
          })),
        })),
      );
    }),
  );
}
