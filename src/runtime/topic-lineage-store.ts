// Reads and writes a flow's topic lineage (src/plan/topic-lineage.ts) on one cluster: the metadata of partition
// 0's offset, for that cluster's topic of the flow, in a lineage group nobody joins. With lanes that group is
// the lane's (`<lane group>.lineage`, one per lane and cluster, keyed by topic); the flow's own group from
// before lanes (`<flow group>.lineage`) is read where the lane's holds nothing yet, and left as it was. Kafka
// erases a lineage with its topic, in every group.
import { TopicNotFound } from '../kafka/errors.js';
import type { KafkaAdmin } from '../kafka/port.js';
import { formatLineage, parseLineage, type StoredLineage, type TopicLineage } from '../plan/topic-lineage.js';

/** The partition whose committed offset carries the lineage; every topic has one. */
const LINEAGE_PARTITION = 0;

/** Where a flow's lineage is kept on a cluster, and where it was kept before. */
export interface LineageGroups {
  /** The group written to and read first: the lane's `<lane group>.lineage`. */
  readonly groupId: string;
  /** Read when `groupId` holds no lineage for the topic: the flow's `<flow group>.lineage`. */
  readonly previousGroupId: string;
}

/**
 * The lineage stored with `topic` in the lineage group, else in the previous one (and then says so); null when
 * neither holds one (or the topic is gone).
 */
export async function readLineage(
  admin: KafkaAdmin,
  groups: LineageGroups,
  topic: string,
): Promise<StoredLineage> {
  if (groups.previousGroupId === groups.groupId) {
    return { lineage: await readLineageOf(admin, groups.groupId, topic), fromPreviousGroup: false };
  }
  // Both at once: a new flow reads both, one round trip after the other otherwise; the second read of a flow that
  // has a lineage costs little, going out in a coalesced request with other flows' reads (admin-batches.ts).
  const [lineage, previous] = await Promise.all([
    readLineageOf(admin, groups.groupId, topic),
    readLineageOf(admin, groups.previousGroupId, topic),
  ]);
  if (lineage !== null) return { lineage, fromPreviousGroup: false };
  return { lineage: previous, fromPreviousGroup: previous !== null };
}

export async function writeLineage(
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
  lineage: TopicLineage,
): Promise<void> {
  await admin.setCommittedOffsets(groupId, topic, [
    { partition: LINEAGE_PARTITION, offset: 0n, metadata: formatLineage(lineage) },
  ]);
}

async function readLineageOf(
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
): Promise<TopicLineage | null> {
  try {
    const committed = await admin.committedOffsets(groupId, [topic]);
    return parseLineage(committed.find(({ partition }) => partition === LINEAGE_PARTITION)?.metadata);
  } catch (error) {
    if (error instanceof TopicNotFound) return null;
    throw error;
  }
}
