// OffsetCommit with a metadata string, for a group nobody joins (georep's lineage groups, src/plan/topic-lineage.ts).
// The library's Admin.alterConsumerGroupOffsets always sends null metadata, so the request is sent here: the
// group's coordinator found with FindCoordinator, then OffsetCommit v8 without a generation or member, as Kafka's
// own AdminClient.alterConsumerGroupOffsets sends it (brokers 2.3 to 4.x answer v8).
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

/** Commits `offsets` of `topic` to `groupId` with their metadata; rejects with the library's error. */
export async function commitOffsetsWithMetadata(
  admin: Admin,
  groupId: string,
  topic: string,
  offsets: readonly OffsetToCommit[],
): Promise<void> {
  const bootstrap = await new Promise<Connection>((resolve, reject) =>
    admin[kGetBootstrapConnection]((error, found) => (error ? reject(error) : resolve(found!))),
  );
  const found = await findCoordinatorV4.api.async(bootstrap, FindCoordinatorKeyTypes.GROUP, [groupId]);
  const coordinator = found.coordinators[0];
  if (coordinator === undefined) throw new Error(`no coordinator for group ${groupId}`);
  const connection = await admin.connections.get({ host: coordinator.host, port: coordinator.port });
  await offsetCommitV8.api.async(connection, groupId, NO_GENERATION, NO_MEMBER, null, [
    {
      name: topic,
      partitions: offsets.map(({ partition, offset, metadata }) => ({
        partitionIndex: partition,
        committedOffset: offset,
        committedLeaderEpoch: NO_LEADER_EPOCH,
        committedMetadata: metadata ?? null,
      })),
    },
  ]);
}
