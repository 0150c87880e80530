// A flow's topic lineage: which origin topic (by Kafka's topic id) it copies into which destination topic. Kafka
// gives a topic a new id each time it is created, so the lineage tells the topics a flow copied between from
// topics created later under the same names. It is kept on both clusters, as the metadata string of an offset
// committed for the topic of that cluster to a group nobody joins (`<lane group>.lineage`, before lanes the
// flow's own `<flow group>.lineage`: see lineageGroupId), because Kafka erases a group's offsets together with
// their topic: the copy on the destination outlives a deleted origin topic, the one on the origin outlives a
// deleted destination topic. Pure: reading and writing it is the flow's (src/runtime/topic-lineage-store.ts).
import type { TopicId } from '../kafka/port.js';

export interface TopicLineage {
  readonly originTopicId: string;
  readonly destinationTopicId: string;
}

/** Marks georep's metadata strings, and their format's version. */
const FORMAT = 'georep-lineage-1';

/** The lineage group, on each cluster, beside consumer group `groupId` (a lane's, or a flow's own). */
export function lineageGroupId(groupId: string): string {
  return `${groupId}.lineage`;
}

/** A lineage as read from one cluster, and whether it came from the group used before lanes. */
export interface StoredLineage {
  readonly lineage: TopicLineage | null;
  /** The lane's group held none, the flow's old group did: the lane's holds nothing until it is written. */
  readonly fromPreviousGroup: boolean;
}

/**
 * Whether `lineage` must be written where `stored` was read: unless the same lineage is already in the group
 * written to. One read from the previous group is written into the current one even when it is the same.
 */
export function lineageToStore(stored: StoredLineage, lineage: TopicLineage): boolean {
  return stored.fromPreviousGroup || !sameLineage(stored.lineage, lineage);
}

/** The lineage of two topics, or null when a client could not tell either id (nothing to pin). */
export function lineageOf(originTopicId: TopicId, destinationTopicId: TopicId): TopicLineage | null {
  if (originTopicId === null || destinationTopicId === null) return null;
  return { originTopicId, destinationTopicId };
}

export function formatLineage(lineage: TopicLineage): string {
  return JSON.stringify({
    format: FORMAT,
    origin: lineage.originTopicId,
    destination: lineage.destinationTopicId,
  });
}

/** The lineage in a committed offset's metadata; null for none, or for a string georep did not write. */
export function parseLineage(metadata: string | null | undefined): TopicLineage | null {
  if (metadata == null || metadata === '') return null;
  try {
    const parsed: unknown = JSON.parse(metadata);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { format, origin, destination } = parsed as Record<string, unknown>;
    if (format !== FORMAT || typeof origin !== 'string' || typeof destination !== 'string') return null;
    return { originTopicId: origin, destinationTopicId: destination };
  } catch {
    return null;
  }
}

export function sameLineage(a: TopicLineage | null, b: TopicLineage | null): boolean {
  return (
    a !== null &&
    b !== null &&
    a.originTopicId === b.originTopicId &&
    a.destinationTopicId === b.destinationTopicId
  );
}
