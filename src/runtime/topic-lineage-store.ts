// Reads and writes a flow's topic lineage (src/plan/topic-lineage.ts) on one cluster: the metadata of partition
// 0's offset, for that cluster's topic of the flow, in the flow's lineage group. Kafka erases it with the topic.
import { TopicNotFound } from '../kafka/errors.js';
import type { KafkaAdmin } from '../kafka/port.js';
import { formatLineage, lineageGroupId, parseLineage, type TopicLineage } from '../plan/topic-lineage.js';

/** The partition whose committed offset carries the lineage; every topic has one. */
const LINEAGE_PARTITION = 0;

/** The lineage stored with `topic`, null when none is (or the topic is gone). */
export async function readLineage(
  admin: KafkaAdmin,
  flowConsumerGroupId: string,
  topic: string,
): Promise<TopicLineage | null> {
  try {
    const committed = await admin.committedOffsets(lineageGroupId(flowConsumerGroupId), [topic]);
    return parseLineage(committed.find(({ partition }) => partition === LINEAGE_PARTITION)?.metadata);
  } catch (error) {
    if (error instanceof TopicNotFound) return null;
    throw error;
  }
}

export async function writeLineage(
  admin: KafkaAdmin,
  flowConsumerGroupId: string,
  topic: string,
  lineage: TopicLineage,
): Promise<void> {
  await admin.setCommittedOffsets(lineageGroupId(flowConsumerGroupId), topic, [
    { partition: LINEAGE_PARTITION, offset: 0n, metadata: formatLineage(lineage) },
  ]);
}
