// What a flow does with its destination topic before it writes anything: create it, adopt one that exists, or
// refuse — a pure decision over what the flow found on both clusters. A flow never writes into a topic someone
// else owns, never re-creates a topic it already wrote to (that leaves a silent gap), and never copies a topic
// on top of the copy of another one. Topics are told apart by Kafka's topic ids, against the lineage the flow
// stored when it last started (src/plan/topic-lineage.ts); docs/recreated-topics.md has the cases as a table.
import type { TopicId } from '../kafka/port.js';
import { progressOnOrigin } from './flow-spec.js';
import type { TopicLineage } from './topic-lineage.js';

/** What the flow found out before deciding. */
export interface DestinationTopicFacts {
  readonly origin: string;
  readonly originTopic: string;
  readonly destination: string;
  readonly destinationTopic: string;
  /** The flow's own consumer group from before lanes (FlowRestartSettings.consumerGroupId), named in messages. */
  readonly groupId: string;
  /**
   * The groups the lineage is read from on each cluster, named in messages: the lane's `<lane group>.lineage`
   * and, where it is another, the flow's `<flow group>.lineage` from before lanes, read where the lane's has none.
   */
  readonly lineageGroupIds: readonly string[];
  /** The consumer group of the flow's lane, which holds its progress, named in messages. */
  readonly laneGroupId: string;
  readonly originPartitions: number;
  /** The origin topic's id now; null where the client cannot tell. */
  readonly originTopicId: TopicId;
  /** The destination topic as it is now, or null when it does not exist. */
  readonly existing: {
    readonly partitions: number;
    /** How its configs differ from what the origin's would give (`retention.ms=… (was …)`), or null. */
    readonly configDrift: string | null;
    readonly topicId: TopicId;
  } | null;
  /**
   * The lineage this flow stored on each cluster when it last started, null where there is none: Kafka erased
   * it with its topic, the flow never started (or before georep stored lineages), or the client cannot read it.
   */
  readonly lineage: {
    readonly onOrigin: TopicLineage | null;
    readonly onDestination: TopicLineage | null;
  };
  /** The lane's group (else the flow's old one) holds progress for the origin topic: this flow copied records before. */
  readonly hasProgress: boolean;
  /**
   * This process saw that progress before: with the same topic ids (checked first), progress that was there and
   * is gone was deleted.
   */
  readonly progressSeenBefore: boolean;
}

/** Why the flow must not write; none of these heals by retrying, an operator decides. */
export interface DestinationTopicRefusal {
  readonly reason:
    | 'origin-topic-recreated'
    | 'destination-topic-recreated'
    | 'destination-topic-missing'
    | 'progress-lost'
    | 'destination-topic-conflict';
  readonly message: string;
}

export type DestinationTopicDecision =
  | { readonly kind: 'create' }
  /**
   * Write nothing. `forgetProgressSeen`: the progress this process saw belongs to a copy that is gone, so once an
   * operator deletes the group as the refusal says, the flow starts over instead of reporting progress lost.
   */
  | {
      readonly kind: 'refuse';
      readonly refusal: DestinationTopicRefusal;
      readonly forgetProgressSeen: boolean;
    }
  /** Write into the existing topic, after adding partitions up to `partitions` and following the origin's configs. */
  | { readonly kind: 'adopt'; readonly addPartitions: boolean; readonly followConfigs: boolean };

export function decideDestinationTopic(facts: DestinationTopicFacts): DestinationTopicDecision {
  const { existing, lineage } = facts;
  const progress = progressOnOrigin({
    ...facts,
    restartSettings: { laneGroupId: facts.laneGroupId, consumerGroupId: facts.groupId },
  });
  const destinationName = `destination topic ${facts.destinationTopic} on ${facts.destination}`;
  const copiedFrom = lineage.onDestination?.originTopicId;
  if (existing !== null && copiedFrom !== undefined && idChanged(copiedFrom, facts.originTopicId)) {
    return refuse(
      'origin-topic-recreated',
      `origin topic ${facts.originTopic} on ${facts.origin} was deleted and re-created (topic id ` +
        `${facts.originTopicId}; ${destinationName} holds the copy of ${copiedFrom}). Appending the new topic to ` +
        `that copy would mix two histories. Delete or rename ${facts.destinationTopic} to copy the new topic ` +
        `from its start into a new one (or, to append it after all, delete the offsets of ${facts.destinationTopic} ` +
        `in consumer group ${facts.lineageGroupIds.join(' and ')} on ${facts.destination}: kafka-consumer-groups ` +
        '--delete-offsets).',
    );
  }
  const copiedInto = facts.hasProgress
    ? lineage.onOrigin?.destinationTopicId
    : lineage.onDestination?.destinationTopicId;
  if (existing !== null && copiedInto !== undefined && idChanged(copiedInto, existing.topicId)) {
    return refuse(
      'destination-topic-recreated',
      `${destinationName} was deleted and re-created by someone else (topic id ${existing.topicId}; this flow ` +
        `copied into ${copiedInto}): the records copied before went with the deleted topic, and writing on would ` +
        `leave the copy with a gap. To copy ${facts.originTopic} again from its start into it, delete ${progress}; ` +
        `or delete ${facts.destinationTopic} and those offsets, and georep creates it anew.`,
      { forgetProgressSeen: true },
    );
  }
  if (existing === null) {
    if (!facts.hasProgress) return { kind: 'create' };
    return refuse(
      'destination-topic-missing',
      `${destinationName} no longer exists, but this flow already copied records into it: its progress is ` +
        `${progress}. Re-creating it would leave the copy with a silent gap. To copy the topic again from the ` +
        'start, delete those offsets; georep then re-creates the topic.',
    );
  }
  if (!facts.hasProgress && facts.progressSeenBefore) {
    // Resuming from `start` would copy on top of the copy this group's progress stood for.
    return refuse(
      'progress-lost',
      `consumer group ${facts.laneGroupId} on ${facts.origin} no longer holds the progress of this flow, which ` +
        `already copied records into ${facts.destinationTopic} on ${facts.destination}. Kafka drops a group's ` +
        `offsets when its topic is deleted: ${facts.originTopic} was probably deleted (and re-created), or the ` +
        'group was deleted. Starting again would copy records on top of the existing copy. To continue the copy, ' +
        'set the group’s offsets where it should resume (kafka-consumer-groups --reset-offsets … --execute); to ' +
        'copy the topic again from the start, delete the destination topic.',
    );
  }
  const differs = existing.partitions !== facts.originPartitions || existing.configDrift !== null;
  if (!facts.hasProgress && differs) {
    // Not made by this flow, and different: using it would mix records into a topic someone else owns.
    return refuse(
      'destination-topic-conflict',
      `${destinationName} already exists and was not created by this flow: it has ${existing.partitions} ` +
        `partitions (origin: ${facts.originPartitions})` +
        (existing.configDrift === null
          ? ''
          : ` and its configs differ from the origin's: ${existing.configDrift}`) +
        '. Delete it or choose another destination name.',
    );
  }
  return {
    kind: 'adopt',
    addPartitions: existing.partitions < facts.originPartitions,
    followConfigs: existing.configDrift !== null,
  };
}

/** Two ids differ; an id a client could not tell (null) differs from none. */
function idChanged(stored: string, current: TopicId): boolean {
  return current !== null && current !== stored;
}

function refuse(
  reason: DestinationTopicRefusal['reason'],
  message: string,
  { forgetProgressSeen = false } = {},
): DestinationTopicDecision {
  return { kind: 'refuse', refusal: { reason, message }, forgetProgressSeen };
}
