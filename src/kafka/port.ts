// The Kafka port: everything georep needs from a Kafka cluster, in georep's own types. The runtime, the
// topic sync and the CLI see only these interfaces; the @platformatic/kafka adapter (src/kafka/platformatic/)
// implements them, and an in-memory double (test/support/in-memory-kafka.ts) stands in for it in unit tests.
// The contract suites in test/support/ keep the two alike; a client is replaced without touching the rest.
//
// Conventions:
// - Offsets are `bigint`. Kafka offsets are int64: a bigint is exact over the whole range, supports the
//   arithmetic a mirror does (next offset = offset + 1n, lag = end - position) without a Long library, and
//   the compiler keeps it apart from the numbers and strings flying around.
//   Convert with Number() only for metrics.
// - Timestamps are milliseconds since the epoch as `number` (exact for any realistic date).
// - Every method that talks to Kafka rejects with one of the classes in ./errors.ts, never a client's error.
import type { ClusterConfig, CompressionCodec, CompressionSetting } from '../config/types.js';

export type { CompressionCodec, CompressionSetting };

/** How Kafka assigned a record's timestamp (the topic's `message.timestamp.type`). */
export type TimestampType = 'create-time' | 'log-append-time';

/**
 * One record header. Headers are an ordered list: keys may repeat and a value may be null, and both the
 * order and the repetitions are part of the record (KIP-82), so they are kept exactly as they were.
 */
export interface RecordHeader {
  /**
   * The key's bytes as they were on the wire. Java clients write UTF-8 text, but the record format allows any
   * bytes and other clients write them, so a mirror keeps bytes: decoding to a string would replace invalid
   * UTF-8 with U+FFFD and the copy would differ. Compare with `equals`; make one with `Buffer.from('name')`.
   */
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/** A record as read from a partition: everything a mirror copies, plus where it was. */
export interface ConsumedRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly timestampMs: number;
  readonly timestampType: TimestampType;
  /** null is a record without a key, which is not the same as an empty key. */
  readonly key: Buffer | null;
  /** null is a tombstone, which is not the same as an empty value. */
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
  /**
   * Codec of the origin batch the record was read from, so that a copy can leave compressed as it arrived.
   * Absent where the client behind the port cannot tell; a write with compression `origin` takes it as `none`.
   */
  readonly compression?: CompressionCodec;
}

/** What a sink writes. A ConsumedRecord is one: the partition is given per write and the offset is the destination's. */
export interface RecordToWrite {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
  /** Written as the record's CreateTime; a destination topic with LogAppendTime replaces it. */
  readonly timestampMs: number;
  /** The codec a write with compression `origin` uses for this record (absent: `none`). */
  readonly compression?: CompressionCodec;
}

// ---------------------------------------------------------------------------------------------------------
// Admin

/**
 * Kafka's id of a topic (KIP-516): a new one each time a topic of that name is created, so a topic deleted and
 * re-created under the same name is told apart from the old one. Written as Kafka's tools print it (the 16
 * bytes in unpadded base64url, e.g. `kXYz3q9JRhKl8xZ0pQ1w2A`). null where the cluster reported none.
 */
export type TopicId = string | null;

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
   * Creates a topic and waits until its partitions have leaders. Creating a topic that exists is not an
   * error, because two georep hosts sharing a flow both try: it resolves `already-exists`, and the caller
   * compares partitions and configs with describeTopic.
   * @throws InvalidRequest for a bad config value, a replication factor above the broker count, …
   */
  createTopic(topic: NewTopic): Promise<'created' | 'already-exists'>;
  /**
   * Raises the partition count to `totalPartitionCount`. Kafka cannot remove partitions.
   * @throws InvalidRequest when the topic already has that many partitions or more.
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

// ---------------------------------------------------------------------------------------------------------
// Source: reading one topic as a member of a consumer group

export type StartPosition = 'earliest' | 'latest';

export interface RecordSourceOptions {
  readonly topic: string;
  /**
   * The consumer group. Every process that runs a source with the same group shares the topic's
   * partitions; Kafka assigns them and moves them when a member comes or goes.
   */
  readonly groupId: string;
  /** Where a partition starts when the group has no committed offset for it. */
  readonly startPosition: StartPosition;
  /** Upper bound of one fetch per partition; with maxBytesPerFetch it bounds the memory a source holds. */
  readonly maxBytesPerPartition?: number;
  readonly maxBytesPerFetch?: number;
  /** How many partitions' batches may be in the handler at the same time (one batch per partition at most). */
  readonly partitionsInParallel?: number;
  /** A member that sends no heartbeat for this long is removed from the group. */
  readonly sessionTimeoutMs?: number;
  /**
   * Exactly-once: where a partition really resumes, when its progress is stored somewhere else than in the
   * group (on the destination, inside its transactions). Asked once per partition after every assignment,
   * before that partition's first batch is handed on; a position it returns wins over the group's committed
   * offset, which then only shows lag. null: the partition starts as without this option (the group's
   * committed offset, else `startPosition`). A rejection stops the source like a failing handler.
   */
  readonly resumePositionOf?: (partition: number) => Promise<bigint | null>;
  /**
   * The id the topic had when the flow checked it. When the topic under this name has another id (it was
   * deleted and re-created since), run() rejects with TopicRecreated instead of reading the new topic from
   * offsets that belonged to the old one. Ignored by clients that cannot see topic ids.
   */
  readonly topicId?: TopicId;
}

/** Consecutive records of one partition, in offset order. */
export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  /** Never empty. */
  readonly records: readonly ConsumedRecord[];
  /**
   * The offset the group commits once the handler resolved: past the last record, and past any transaction
   * markers or aborted records that follow it.
   */
  readonly nextOffset: bigint;
  /** The partition's high watermark when the batch was fetched. */
  readonly highWatermark: bigint;
}

/**
 * Takes a batch to its destination. It resolves only once the destination acknowledged every record: the
 * source commits `nextOffset` after that and never before, so a crash can repeat records but never lose them.
 * A rejection stops the source, which then rejects `run()` with that same error. `signal` aborts when the
 * source is stopped and gives up on batches still in hand.
 */
export type BatchHandler = (batch: ConsumedBatch, signal: AbortSignal) => Promise<void>;

export type SourceEvent =
  /** The group (re)assigned partitions; `partitions` is this member's complete new set, possibly empty. */
  | { readonly type: 'assigned'; readonly partitions: readonly number[] }
  /** The group started rebalancing; an `assigned` event follows when it is done. */
  | { readonly type: 'rebalancing' }
  /** Offsets were committed to the group. */
  | {
      readonly type: 'committed';
      readonly offsets: readonly { readonly partition: number; readonly offset: bigint }[];
    }
  /**
   * A fetch (or the metadata lookup before one) failed on the network or got no answer in time; `detail` says
   * which broker and what happened. The source keeps trying: `reachable` follows when a fetch is answered again.
   */
  | { readonly type: 'unreachable'; readonly detail: string }
  | { readonly type: 'reachable' };

export type SourceListener = (event: SourceEvent) => void;

export interface RecordSource {
  /**
   * Joins the group and hands batches to `handler` until stop() is called or something fails. Fetching
   * waits for the handler (a slow destination slows reading; memory stays bounded by the fetch sizes).
   * Resolves after stop(); rejects with the error that stopped it otherwise: the handler's own error,
   * OffsetOutOfRange (the origin no longer has the records the group is due to read next), TopicNotFound,
   * AuthorizationFailed, AuthenticationFailed, TlsFailed, or Retriable (the client gave up on a transient
   * problem). A source may instead keep trying through a cluster that does not answer, reporting it with
   * `unreachable` events (the @platformatic/kafka source does). Can be called once.
   */
  run(handler: BatchHandler, listener?: SourceListener): Promise<void>;
  /** Stops fetching; batches already in the handler finish. */
  pause(): void;
  resume(): void;
  /**
   * Stops fetching, waits for the batches in the handler and commits their offsets, then leaves the group so
   * its partitions move to other members at once. If the handler has not finished after `inFlightGraceMs`,
   * its signal is aborted and its batches are not committed (they are read again later).
   */
  stop(options?: { readonly inFlightGraceMs?: number }): Promise<void>;
}

/**
 * A flow's reading as part of its lane (docs/design-shared-transport.md): every flow of one origin into one
 * destination under one naming shares one consumer group, membership and fetcher per process. The source it
 * gives is a RecordSource like any other, except that run() and stop() attach and detach the topic without
 * rebalancing the group, and `assigned` names the topic's partitions in this process's slots.
 */
export interface LaneSourceOptions {
  readonly topic: string;
  /** The lane's consumer group (src/plan/lanes.ts); every flow of the lane names the same. */
  readonly laneGroupId: string;
  readonly startPosition: StartPosition;
  /** As RecordSourceOptions; the first flow of the lane in a process sets the lane's membership's. */
  readonly sessionTimeoutMs?: number;
  readonly resumePositionOf?: (partition: number) => Promise<bigint | null>;
  readonly topicId?: TopicId;
}

// ---------------------------------------------------------------------------------------------------------
// Sink: writing records to exact partitions
//
// Exactly-once delivery is an addition beside it: a TransactionalSink (below) whose transactions hold the
// records and the flow's progress (stored on the destination, since a destination transaction cannot commit
// offsets to the origin's group), and the source option `resumePositionOf` to start from that progress.

export interface RecordSinkOptions {
  /** Codec of the batches written when a write names none (default `none`). */
  readonly compression?: CompressionCodec;
  /**
   * Records of one write are sent in requests of at most about this many bytes (uncompressed), in order,
   * each acknowledged before the next; keep it below the destination's max.message.bytes.
   */
  readonly maxRequestBytes?: number;
}

/**
 * Where consecutive records of one write landed: the records of one produce request get consecutive offsets,
 * so a write of n records reports one range per request it took, in the order of the records.
 */
export interface WrittenRange {
  readonly firstOffset: bigint;
  readonly recordCount: number;
  /**
   * Bytes of the record batch that carried these records, as sent (compressed, with its header): what the
   * destination stores and the link carries. Absent where the client behind the port cannot tell.
   */
  readonly batchBytes?: number;
}

/**
 * Told while a write is still being tried that a request of it failed on the network (refused, reset, closed)
 * or got no answer in time; `detail` names the broker and what happened.
 */
export type UnreachableListener = (detail: string) => void;

/** How one write is made; every field may be left out. */
export interface WriteOptions {
  /**
   * Overrides the sink's (RecordSinkOptions.compression) for this write: one sink serves every replication
   * that writes to its cluster, each with its own setting. `origin`: each record's own `compression`, records
   * of different codecs in separate batches.
   */
  readonly compression?: CompressionSetting;
  /**
   * The id the topic had when the flow checked it: a topic of that name with another id (it was deleted and
   * re-created since) is refused with TopicRecreated rather than written to.
   */
  readonly topicId?: TopicId;
  /** Told while the write is still being tried that the destination does not answer. */
  readonly onUnreachable?: UnreachableListener;
}

export interface RecordSink {
  /**
   * Appends `records` to `topic`'s partition `partition`, in order, each with exactly its key, value, headers
   * and timestamp. Resolves once the destination acknowledged all of them (acks=all, idempotent producer),
   * so retries inside the client never duplicate or reorder, with the offsets they got (the flow maps origin
   * offsets to destination offsets with them, for consumer-group translation). Concurrent writes to the same
   * partition are queued; different partitions proceed in parallel. Never creates a topic.
   * @throws TopicNotFound, TopicRecreated, RecordTooLarge, AuthorizationFailed, Retriable, …
   */
  write(
    topic: string,
    partition: number,
    records: readonly RecordToWrite[],
    options?: WriteOptions,
  ): Promise<readonly WrittenRange[]>;
  /** Waits for writes in progress, then closes the connections. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Transactional sink: records and progress committed together (exactly-once)

export interface TransactionalSinkOptions extends RecordSinkOptions {
  /** The one topic this sink writes (one exactly-once flow's destination topic). */
  readonly topic: string;
  /** The id `topic` had when the flow checked it: as RecordSink.write's `options.topicId`. */
  readonly topicId?: TopicId;
  /**
   * Partition p is written by its own transactional producer, `<transactionalIdPrefix>.<p>`: whoever takes
   * the partition over (another process after a rebalance, or this flow restarted) fences exactly the
   * producer that wrote it before.
   */
  readonly transactionalIdPrefix: string;
  /**
   * The destination consumer group whose committed offsets hold the progress: for (topic, p), the next
   * origin offset to copy. No consumer ever joins it; only transactions commit to it.
   */
  readonly progressGroupId: string;
}

export interface TransactionalSink {
  /**
   * Takes partition `partition` over: fences every earlier producer with its transactional id and waits
   * until that producer's open transaction is aborted, then returns the progress stored for the partition
   * (the next origin offset to copy), or null when none was ever stored. Must come before write().
   * @throws AuthorizationFailed, Retriable, …
   */
  claim(partition: number): Promise<bigint | null>;
  /**
   * In one transaction: appends `records` to the partition (exactly as RecordSink.write does) and stores
   * `nextOriginOffset` as its progress. Resolves once the transaction committed, with the offsets the
   * records got (as RecordSink.write reports them); on a rejection nothing of it is visible to read_committed
   * consumers. Writes to one partition must not overlap.
   * `compression` as in RecordSink.write.
   * @throws TopicNotFound, RecordTooLarge, Retriable (for instance: fenced by a newer claim), …
   */
  write(
    partition: number,
    records: readonly RecordToWrite[],
    nextOriginOffset: bigint,
    compression?: CompressionSetting,
  ): Promise<readonly WrittenRange[]>;
  /** Closes the producers of partitions this process no longer holds. */
  release(partitions: readonly number[]): Promise<void>;
  /** Closes every producer; an open transaction is aborted by the next claim of its partition. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Partition reader: reading given offsets without a consumer group (georep verify)

/** What one read of a partition returned. */
export interface PartitionReadResult {
  /** Records at or after the offset asked for, in offset order; possibly none (only markers or aborted records). */
  readonly records: readonly ConsumedRecord[];
  /** Where the next read starts: past the last batch returned, transaction markers and aborted records included. */
  readonly nextOffset: bigint;
}

/**
 * Reads explicit partitions at explicit offsets, read_committed, and nothing else: no consumer group is joined
 * and no offset is committed, so a reader changes nothing on the cluster it reads.
 */
export interface PartitionReader {
  /**
   * One fetch of `topic`'s partition `partition` from `offset`, at most about `maxBytes` (a larger first batch
   * still comes whole). Aborted records are left out and control records are not records.
   * @throws OffsetOutOfRange (the partition no longer, or not yet, holds `offset`), TopicNotFound, …
   */
  read(topic: string, partition: number, offset: bigint, maxBytes: number): Promise<PartitionReadResult>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// One cluster

export interface KafkaCluster {
  readonly name: string;
  createAdmin(): KafkaAdmin;
  createSource(options: RecordSourceOptions): RecordSource;
  /** Absent when the client behind the port cannot share a lane's reading between flows (LaneSourceOptions). */
  createLaneSource?(options: LaneSourceOptions): RecordSource;
  createSink(options?: RecordSinkOptions): RecordSink;
  /** Absent when the client behind the port has no transactions: exactly-once flows then cannot run. */
  createTransactionalSink?(options: TransactionalSinkOptions): TransactionalSink;
  /** Absent when the client behind the port cannot fetch without a group: `georep verify` then cannot run. */
  createPartitionReader?(): PartitionReader;
}

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

/** A line a Kafka client wants to log; secrets are already removed. */
export interface KafkaLogEntry {
  readonly level: KafkaLogLevel;
  readonly cluster: string;
  /** The client's component, e.g. `Consumer` or `Connection`. */
  readonly component: string;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export type KafkaLogger = (entry: KafkaLogEntry) => void;

/** How the runtime gets a KafkaCluster: the @platformatic/kafka adapter in production, a double in unit tests. */
export type KafkaClusterFactory = (cluster: ClusterConfig, log: KafkaLogger) => KafkaCluster;
