// What a flow does with its destination topic before it writes anything: create it, adopt one that exists, or
// refuse — a pure decision over what the flow found on both clusters. A flow never writes into a topic someone
// else owns, never re-creates a topic it already wrote to (that leaves a silent gap), and never copies a topic
// on top of the copy of another one.

/** What the flow found out before deciding. */
export interface DestinationTopicFacts {
  readonly origin: string;
  readonly originTopic: string;
  readonly destination: string;
  readonly destinationTopic: string;
  /** The flow's consumer group on the origin, named in messages. */
  readonly groupId: string;
  readonly originPartitions: number;
  /** The destination topic as it is now, or null when it does not exist. */
  readonly existing: {
    readonly partitions: number;
    /** How its configs differ from what the origin's would give (`retention.ms=… (was …)`), or null. */
    readonly configDrift: string | null;
  } | null;
  /** The flow's consumer group on the origin holds progress: this flow copied records before. */
  readonly hasProgress: boolean;
  /** This process saw that group hold progress before (Kafka erases a group's offsets with its topic). */
  readonly progressSeenBefore: boolean;
  /** Set when the origin topic was seen deleted and then back under the same name. */
  readonly originRecreatedAtMs: number | undefined;
}

/** Why the flow must not write; none of these heals by retrying, an operator decides. */
export interface DestinationTopicRefusal {
  readonly reason:
    | 'origin-topic-recreated'
    | 'destination-topic-missing'
    | 'progress-lost'
    | 'destination-topic-conflict';
  readonly message: string;
}

export type DestinationTopicDecision =
  | { readonly kind: 'create' }
  | { readonly kind: 'refuse'; readonly refusal: DestinationTopicRefusal }
  /** Write into the existing topic, after adding partitions up to `partitions` and following the origin's configs. */
  | { readonly kind: 'adopt'; readonly addPartitions: boolean; readonly followConfigs: boolean };

export function decideDestinationTopic(facts: DestinationTopicFacts): DestinationTopicDecision {
  const { existing } = facts;
  const destinationName = `destination topic ${facts.destinationTopic} on ${facts.destination}`;
  if (existing !== null && facts.originRecreatedAtMs !== undefined) {
    return refuse(
      'origin-topic-recreated',
      `origin topic ${facts.originTopic} on ${facts.origin} was deleted and re-created ` +
        `(seen again at ${new Date(facts.originRecreatedAtMs).toISOString()}); ${destinationName} still holds ` +
        'the copy of the deleted topic (onOriginTopicDeleted: keep). Appending the new topic to it would mix two ' +
        `histories. Delete or rename ${facts.destinationTopic} to copy the new topic from its start into a new one.`,
    );
  }
  if (existing === null) {
    if (!facts.hasProgress) return { kind: 'create' };
    return refuse(
      'destination-topic-missing',
      `${destinationName} no longer exists, but this flow already copied records into it (consumer group ` +
        `${facts.groupId} has progress). Re-creating it would leave the copy with a silent gap. To copy the topic ` +
        'again from the start, delete that consumer group on the origin; georep then re-creates the topic.',
    );
  }
  if (!facts.hasProgress && facts.progressSeenBefore) {
    // Resuming from `start` would copy on top of the copy this group's progress stood for.
    return refuse(
      'progress-lost',
      `consumer group ${facts.groupId} on ${facts.origin} no longer holds the progress of this flow, which ` +
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

function refuse(reason: DestinationTopicRefusal['reason'], message: string): DestinationTopicDecision {
  return { kind: 'refuse', refusal: { reason, message } };
}
