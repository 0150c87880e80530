// The admin side of the port: topics (with their ids and config sources), offsets and consumer groups, as
// a discovery round, a flow preparing its destination topic and the group syncs use them.

/**
 * Kafka's id of a topic (KIP-516): a new one each time a topic of that name is created, so a topic deleted and
 * re-created under the same name is told apart from the old one. Written as Kafka's tools print it (the 16
 * bytes in unpadded base64url, e.g. `kXYz3q9JRhKl8xZ0pQ1w2A`). null where the cluster reported none.
 */
export type TopicId = string | null;

/** A topic createTopic made. */
export interface CreatedTopic {
  readonly topicId: TopicId;
}

export interface TopicSummary {
  readonly name: string;
  readonly partitionCount: number;
  readonly topicId: TopicId;
}

export interface PartitionDescription {
  readonly partition: number;
  /** Broker id of the leader, -1 while there is none. */
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly inSyncReplicas: readonly number[];
}

/**
 * Where a topic config value comes from. Only `topic` values were set on the topic itself (dynamic topic
 * configs); all others are inherited from the broker, and a mirror must not pin them on the destination.
 */
export type ConfigSource =
  | 'topic'
  | 'dynamic-broker'
  | 'dynamic-default-broker'
  | 'static-broker'
  | 'default'
  | 'unknown';

export interface TopicConfigEntry {
  readonly name: string;
  /** null when the broker hides the value (a sensitive config) or has none. */
  readonly value: string | null;
  readonly source: ConfigSource;
  readonly sensitive: boolean;
  readonly readOnly: boolean;
}

export interface TopicDescription {
  readonly name: string;
  readonly topicId: TopicId;
  readonly partitions: readonly PartitionDescription[];
  /** Every config the broker reports for the topic, each with its source. */
  readonly configs: readonly TopicConfigEntry[];
}

/** An incremental change of a topic's topic-level (dynamic) configs; keys in neither list stay as they are. */
export interface TopicConfigChanges {
  /** Configs to set on the topic itself. */
  readonly set: ReadonlyMap<string, string>;
  /** Topic-level configs to remove: each goes back to the broker's default. A key not set on the topic is no error. */
  readonly remove: readonly string[];
}

export interface NewTopic {
  readonly name: string;
  readonly partitionCount: number;
  readonly replicationFactor: number;
  /** Topic-level configs to set at creation; everything else stays the broker's default. */
  readonly configs: ReadonlyMap<string, string>;
}

export interface PartitionOffsets {
  readonly partition: number;
  /** The log start offset: the first offset still readable. */
  readonly earliest: bigint;
  /**
   * The offset the next record would get, as a read_committed consumer sees it (the last stable offset:
   * records of open transactions are not counted). Lag is `latest - position`.
   */
  readonly latest: bigint;
}

export type ConsumerGroupState =
  | 'empty'
  | 'stable'
  | 'preparing-rebalance'
  | 'completing-rebalance'
  | 'dead'
  | 'unknown';

export interface ConsumerGroupSummary {
  readonly groupId: string;
  /** `consumer` for groups of Kafka consumers; other protocols (Connect) exist too. */
  readonly protocolType: string;
}

export interface ConsumerGroupDescription {
  readonly groupId: string;
  readonly state: ConsumerGroupState;
  readonly memberCount: number;
}

export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  /** null when the group has no committed offset for the partition. */
  readonly offset: bigint | null;
  /**
   * The string committed with the offset (OffsetCommit's metadata), null when none was; absent where the client
   * behind the port cannot read it. georep keeps a flow's topic lineage in it (src/plan/topic-lineage.ts).
   */
  readonly metadata?: string | null;
}

/** An offset to commit, with the string Kafka keeps beside it (OffsetCommit's metadata). */
export interface OffsetToCommit {
  readonly partition: number;
  readonly offset: bigint;
  /** Kept with the offset and returned by committedOffsets; the brokers cap its length (offset.metadata.max.bytes, 4096). */
  readonly metadata?: string;
}

export interface KafkaAdmin {
  /** Every topic of the cluster, internal ones (`__consumer_offsets`, …) included: filtering is the planner's job. */
  listTopics(): Promise<TopicSummary[]>;
  /** @throws TopicNotFound */
  describeTopic(topic: string): Promise<TopicDescription>;
  /**
   * The configs of many topics in one request (DescribeConfigs takes a list): what a discovery round uses to
   * compare every mirrored topic without one round trip per topic. Keyed by topic name; a topic that does not
   * exist (deleted since it was listed) is left out.
   */
  describeTopicConfigs(topics: readonly string[]): Promise<Map<string, TopicConfigEntry[]>>;
  /**
   * Creates a topic and waits until its partitions have leaders; resolves the id Kafka gave it, which the
   * caller would otherwise describe the topic again for. Creating a topic that exists is not an error, because
   * two georep hosts sharing a flow both try: it resolves `already-exists`, and the caller compares partitions
   * and configs with describeTopic.
   * @throws InvalidRequest for a bad config value, a replication factor above the broker count, …
   */
  createTopic(topic: NewTopic): Promise<CreatedTopic | 'already-exists'>;
  /**
   * Raises the partition count to `totalPartitionCount`; resolves once every partition has a leader (as
   * createTopic), so that a describe or a write that follows finds them. Kafka cannot remove partitions.
   * @throws InvalidRequest when the topic already has that many partitions or more.
   * @throws Retriable when the new partitions still have no leaders after the topic change timeout.
   */
  createPartitions(topic: string, totalPartitionCount: number): Promise<void>;
  /**
   * Sets and removes some topic-level configs and leaves every other one as it is (a removed key goes back
   * to the broker's default). Kafka's IncrementalAlterConfigs, so a change someone else made in between
   * is kept.
   * @throws TopicNotFound, InvalidRequest for a bad config value
   */
  alterTopicConfigs(topic: string, changes: TopicConfigChanges): Promise<void>;
  /**
   * Deletes a topic and its records. Only used on destination topics whose origin topic was deleted, when
   * the replication asks for it (onOriginTopicDeleted: delete).
   * @throws TopicNotFound
   */
  deleteTopic(topic: string): Promise<void>;
  /** Brokers currently in the cluster, e.g. to cap a replication factor. */
  brokerCount(): Promise<number>;
  /** Earliest and latest offset of every partition of the topic, by partition number. */
  partitionOffsets(topic: string): Promise<PartitionOffsets[]>;
  listConsumerGroups(): Promise<ConsumerGroupSummary[]>;
  describeConsumerGroups(groupIds: readonly string[]): Promise<ConsumerGroupDescription[]>;
  /** Committed offsets of the group for the given topics (all partitions of each). */
  committedOffsets(groupId: string, topics: readonly string[]): Promise<CommittedOffset[]>;
  /**
   * Sets the group's committed offsets for one topic. Kafka only allows this while the group has no
   * members, so a running consumer can never have its position moved under it. An offset's `metadata` is
   * stored only by clients that can.
   * @throws GroupNotEmpty while the group has members.
   */
  setCommittedOffsets(groupId: string, topic: string, offsets: readonly OffsetToCommit[]): Promise<void>;
  /**
   * Deletes a consumer group and its committed offsets (georep's short-lived reader groups). Kafka only
   * allows this while the group has no members; a group that does not exist is not an error.
   * @throws GroupNotEmpty while the group has members.
   */
  deleteConsumerGroup(groupId: string): Promise<void>;
  /** Closes the connections; the admin cannot be used afterwards. */
  close(): Promise<void>;
}
