// An in-memory Kafka cluster behind the port, for unit tests of code that uses the port (the runtime's flows):
// no broker, no timing beyond microtasks and short polls. It keeps the port's promises that such code relies
// on, and the same contract tests run against it and against the @platformatic/kafka adapter on real brokers
// (test/support/kafka-port-contract.ts). It lives under test/: nothing in src/ may import it.
// - records are appended to the partition given, with exactly the key, value, headers and timestamp given
//   (LogAppendTime topics take the append time);
// - a source is a member of a consumer group: a topic's partitions are spread over the members that read it
//   (round robin) and move when such a member joins or leaves;
// - a lane source (createLaneSource) is such a member of its lane's group, one per flow: a flow joining or leaving
//   moves only its own topic's partitions; a partition without an offset in the lane's group starts at its offset
//   in previousGroupId, if any; a grown topic is read whole only after partitionsAdded(); a batch is committed only after the handler resolved; a group offset below the log start (or beyond the end) stops the source with OffsetOutOfRange;
// - nothing creates a topic implicitly; setting a group's offsets needs the group to be empty.
// What it does not model: config value validation, replication, compression, transactions, size limits;
// a source hands over one batch at a time (partitionsInParallel and fetch sizes are ignored).
// Tests steer it with truncate() (what retention or deleteRecords do) and setUnavailable() (a cluster that
// cannot be reached: every call fails with Retriable).
import { randomBytes } from 'node:crypto';
import {
  GroupNotEmpty,
  InvalidRequest,
  OffsetOutOfRange,
  PartitionNotFound,
  Retriable,
  TopicNotFound,
} from '../../src/kafka/errors.js';
import type {
  BatchHandler,
  CommittedOffset,
  ConsumedBatch,
  ConsumedRecord,
  ConsumerGroupDescription,
  ConsumerGroupSummary,
  CreatedTopic,
  FetchedEndOffset,
  KafkaAdmin,
  KafkaCluster,
  LaneRecordSource,
  LaneSourceOptions,
  NewTopic,
  OffsetToCommit,
  PartitionOffsets,
  RecordSink,
  RecordSource,
  RecordSourceOptions,
  RecordToWrite,
  SourceEvent,
  SourceListener,
  TopicConfigChanges,
  TopicConfigEntry,
  TopicDescription,
  TopicSummary,
  WrittenRange,
} from '../../src/kafka/port.js';

/** Most records one batch carries; a real fetch is bounded by bytes instead. */
const MAX_RECORDS_PER_BATCH = 500;
/** How long an idle source waits before looking for records again (changes also wake it at once). */
const IDLE_POLL_MS = 20;

/** Broker defaults a described topic reports besides its own configs (source `default`). */
const DEFAULT_TOPIC_CONFIGS: ReadonlyMap<string, string> = new Map([
  ['cleanup.policy', 'delete'],
  ['max.message.bytes', '1048588'],
  ['message.timestamp.type', 'CreateTime'],
  ['min.insync.replicas', '1'],
  ['retention.ms', '604800000'],
]);

interface PartitionLog {
  /** Offset of records[0]: the first offset still readable. */
  logStart: bigint;
  records: ConsumedRecord[];
}

interface TopicState {
  /** A fresh random id per creation, like Kafka's: a topic re-created under its name gets a new one. */
  id: string;
  partitions: PartitionLog[];
  configs: Map<string, string>;
}

interface GroupState {
  committed: Map<string, Map<number, bigint>>;
  /** The metadata string committed with an offset, by `topic:partition` (georep's lineage groups use it). */
  metadata: Map<string, string>;
  /** In join order; the assignment follows it. */
  members: InMemorySource[];
  /**
   * `topic:partition` of batches in a handler. A partition that moved to another member is delivered there
   * only after its batch in hand was committed, as the real source finishes (and commits) the batch in hand before it gives the partition up.
   */
  inFlight: Set<string>;
}

const endOffset = (log: PartitionLog) => log.logStart + BigInt(log.records.length);

export class InMemoryKafka implements KafkaCluster {
  readonly name: string;
  readonly #brokerCount: number;
  readonly #topics = new Map<string, TopicState>();
  readonly #groups = new Map<string, GroupState>();
  readonly #waiters = new Set<() => void>();
  #unavailable: string | null = null;

  constructor(name = 'in-memory', options: { brokerCount?: number } = {}) {
    this.name = name;
    this.#brokerCount = options.brokerCount ?? 1;
  }

  createAdmin(): KafkaAdmin {
    return new InMemoryAdmin(this);
  }

  createSource(options: RecordSourceOptions): RecordSource {
    return new InMemorySource(this, options);
  }

  createLaneSource(options: LaneSourceOptions): LaneRecordSource {
    const { laneGroupId, previousGroupId, ...rest } = options;
    return new InMemorySource(this, { ...rest, groupId: laneGroupId }, { previousGroupId });
  }

  createSink(): RecordSink {
    return new InMemorySink(this);
  }

  /** Removes the records of a partition below `beforeOffset`, as retention or deleteRecords would. */
  truncate(topic: string, partition: number, beforeOffset: bigint): void {
    const log = this.partitionLog(topic, partition);
    if (beforeOffset > endOffset(log)) {
      throw new RangeError(
        `partition ${partition} of ${topic} ends at ${endOffset(log)}, before ${beforeOffset}`,
      );
    }
    if (beforeOffset <= log.logStart) return;
    log.records.splice(0, Number(beforeOffset - log.logStart));
    log.logStart = beforeOffset;
    this.changed();
  }

  /** While set, every admin call, write and running source fails with Retriable naming `reason`. */
  setUnavailable(reason: string | null): void {
    this.#unavailable = reason;
    this.changed();
  }

  // ---- for the admin, sink and source of this cluster ------------------------------------------------------

  /** @throws Retriable while the cluster is unavailable. */
  checkAvailable(operation: string): void {
    if (this.#unavailable !== null) {
      throw new Retriable(this.name, `${operation}: ${this.#unavailable}`);
    }
  }

  get available(): boolean {
    return this.#unavailable === null;
  }

  get brokerCount(): number {
    return this.#brokerCount;
  }

  get topics(): Map<string, TopicState> {
    return this.#topics;
  }

  topic(name: string): TopicState {
    const topic = this.#topics.get(name);
    if (topic === undefined) throw new TopicNotFound(this.name, name);
    return topic;
  }

  partitionLog(topic: string, partition: number): PartitionLog {
    const log = this.topic(topic).partitions[partition];
    if (log === undefined) throw new PartitionNotFound(this.name, topic, partition);
    return log;
  }

  group(groupId: string): GroupState {
    let group = this.#groups.get(groupId);
    if (group === undefined) {
      group = { committed: new Map(), metadata: new Map(), members: [], inFlight: new Set() };
      this.#groups.set(groupId, group);
    }
    return group;
  }

  deleteGroup(groupId: string): void {
    this.#groups.delete(groupId);
  }

  get groups(): ReadonlyMap<string, GroupState> {
    return this.#groups;
  }

  /** Wakes sources waiting for records, a resume, a rebalance or a stop. */
  changed(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves at the next change, or after a short poll. */
  async nextChange(): Promise<void> {
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, IDLE_POLL_MS);
      this.#waiters.add(wake);
    });
  }

  /** Spreads the topic's partitions over the group's members that read it, round robin in join order, and tells them. */
  rebalance(groupId: string, topic: string): void {
    const members = this.group(groupId).members.filter((member) => member.topic === topic);
    const partitionCount = this.#topics.get(topic)?.partitions.length ?? 0;
    const assignments = members.map((): number[] => []);
    for (let partition = 0; partition < partitionCount; partition++) {
      assignments[partition % Math.max(1, members.length)]?.push(partition);
    }
    members.forEach((member, index) => {
      member.assign(assignments[index] ?? []);
    });
    this.changed();
  }
}

class InMemoryAdmin implements KafkaAdmin {
  readonly #kafka: InMemoryKafka;

  constructor(kafka: InMemoryKafka) {
    this.#kafka = kafka;
  }

  async listTopics(): Promise<TopicSummary[]> {
    this.#kafka.checkAvailable('list topics');
    return [...this.#kafka.topics.entries()]
      .map(([name, topic]) => ({ name, partitionCount: topic.partitions.length, topicId: topic.id }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async describeTopicConfigs(names: readonly string[]): Promise<Map<string, TopicConfigEntry[]>> {
    this.#kafka.checkAvailable(`describe configs of ${names.length} topics`);
    const existing = names.filter((name) => this.#kafka.topics.has(name));
    const described = await Promise.all(existing.map((name) => this.describeTopic(name)));
    return new Map(described.map((topic) => [topic.name, [...topic.configs]]));
  }

  async deleteTopic(name: string): Promise<void> {
    this.#kafka.checkAvailable(`delete topic ${name}`);
    this.#kafka.topic(name);
    this.#kafka.topics.delete(name);
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    this.#kafka.checkAvailable(`describe topic ${name}`);
    const topic = this.#kafka.topic(name);
    const configs: TopicConfigEntry[] = [...DEFAULT_TOPIC_CONFIGS]
      .filter(([key]) => !topic.configs.has(key))
      .map(([key, value]) => ({ name: key, value, source: 'default', sensitive: false, readOnly: false }));
    for (const [key, value] of topic.configs) {
      configs.push({ name: key, value, source: 'topic', sensitive: false, readOnly: false });
    }
    return {
      name,
      topicId: topic.id,
      partitions: topic.partitions.map((_, partition) => ({
        partition,
        leader: 1,
        replicas: [1],
        inSyncReplicas: [1],
      })),
      configs: configs.sort((a, b) => (a.name < b.name ? -1 : 1)),
    };
  }

  async createTopic(topic: NewTopic): Promise<CreatedTopic | 'already-exists'> {
    this.#kafka.checkAvailable(`create topic ${topic.name}`);
    if (this.#kafka.topics.has(topic.name)) return 'already-exists';
    if (topic.partitionCount < 1) {
      throw new InvalidRequest(
        this.#kafka.name,
        `create topic ${topic.name}: a topic needs at least one partition`,
      );
    }
    if (topic.replicationFactor < 1 || topic.replicationFactor > this.#kafka.brokerCount) {
      throw new InvalidRequest(
        this.#kafka.name,
        `create topic ${topic.name}: replication factor ${topic.replicationFactor} with ${this.#kafka.brokerCount} brokers`,
      );
    }
    const id = randomBytes(16).toString('base64url');
    this.#kafka.topics.set(topic.name, {
      id,
      partitions: Array.from({ length: topic.partitionCount }, () => ({ logStart: 0n, records: [] })),
      configs: new Map(topic.configs),
    });
    return { topicId: id };
  }

  async createPartitions(name: string, totalPartitionCount: number): Promise<void> {
    this.#kafka.checkAvailable(`add partitions to topic ${name}`);
    const topic = this.#kafka.topic(name);
    if (totalPartitionCount <= topic.partitions.length) {
      throw new InvalidRequest(
        this.#kafka.name,
        `add partitions to topic ${name}: it has ${topic.partitions.length}, asked for ${totalPartitionCount}`,
      );
    }
    while (topic.partitions.length < totalPartitionCount)
      topic.partitions.push({ logStart: 0n, records: [] });
    // A group member subscribed to the topic is told at once; a lane's flow reads the new partitions after
    // partitionsAdded().
    for (const [groupId, group] of this.#kafka.groups) {
      if (group.members.some((member) => member.topic === name && !member.isLane))
        this.#kafka.rebalance(groupId, name);
    }
  }

  async alterTopicConfigs(name: string, changes: TopicConfigChanges): Promise<void> {
    this.#kafka.checkAvailable(`alter configs of topic ${name}`);
    const { configs } = this.#kafka.topic(name);
    for (const key of changes.remove) configs.delete(key);
    for (const [key, value] of changes.set) configs.set(key, value);
  }

  async brokerCount(): Promise<number> {
    this.#kafka.checkAvailable('describe cluster');
    return this.#kafka.brokerCount;
  }

  async partitionOffsets(name: string): Promise<PartitionOffsets[]> {
    this.#kafka.checkAvailable(`fetch offsets of topic ${name}`);
    return this.#kafka.topic(name).partitions.map((log, partition) => ({
      partition,
      earliest: log.logStart,
      latest: endOffset(log),
    }));
  }

  async listConsumerGroups(): Promise<ConsumerGroupSummary[]> {
    this.#kafka.checkAvailable('list consumer groups');
    return [...this.#kafka.groups.keys()].map((groupId) => ({ groupId, protocolType: 'consumer' }));
  }

  async describeConsumerGroups(groupIds: readonly string[]): Promise<ConsumerGroupDescription[]> {
    this.#kafka.checkAvailable('describe consumer groups');
    return groupIds.map((groupId) => {
      const group = this.#kafka.groups.get(groupId);
      if (group === undefined) return { groupId, state: 'dead', memberCount: 0 };
      return {
        groupId,
        state: group.members.length > 0 ? 'stable' : 'empty',
        memberCount: group.members.length,
      };
    });
  }

  async committedOffsets(groupId: string, topics: readonly string[]): Promise<CommittedOffset[]> {
    this.#kafka.checkAvailable(`fetch committed offsets of group ${groupId}`);
    const group = this.#kafka.groups.get(groupId);
    return topics.flatMap((topic) =>
      this.#kafka.topic(topic).partitions.map((_, partition) => ({
        topic,
        partition,
        offset: group?.committed.get(topic)?.get(partition) ?? null,
        metadata: group?.metadata.get(`${topic}:${partition}`) ?? null,
      })),
    );
  }

  async deleteConsumerGroup(groupId: string): Promise<void> {
    this.#kafka.checkAvailable(`delete consumer group ${groupId}`);
    const group = this.#kafka.groups.get(groupId);
    if (group === undefined) return;
    if (group.members.length > 0) throw new GroupNotEmpty(this.#kafka.name, groupId);
    this.#kafka.deleteGroup(groupId);
  }

  async setCommittedOffsets(
    groupId: string,
    topic: string,
    offsets: readonly OffsetToCommit[],
  ): Promise<void> {
    this.#kafka.checkAvailable(`set committed offsets of group ${groupId}`);
    this.#kafka.topic(topic);
    const group = this.#kafka.group(groupId);
    if (group.members.length > 0) throw new GroupNotEmpty(this.#kafka.name, groupId);
    const byPartition = group.committed.get(topic) ?? new Map<number, bigint>();
    for (const { partition, offset, metadata } of offsets) {
      byPartition.set(partition, offset);
      if (metadata === undefined) group.metadata.delete(`${topic}:${partition}`);
      else group.metadata.set(`${topic}:${partition}`, metadata);
    }
    group.committed.set(topic, byPartition);
  }

  async close(): Promise<void> {}
}

class InMemorySink implements RecordSink {
  readonly #kafka: InMemoryKafka;

  constructor(kafka: InMemoryKafka) {
    this.#kafka = kafka;
  }

  async write(
    topic: string,
    partition: number,
    records: readonly RecordToWrite[],
  ): Promise<readonly WrittenRange[]> {
    this.#kafka.checkAvailable(`write to topic ${topic}`);
    const logAppendTime = this.#kafka.topic(topic).configs.get('message.timestamp.type') === 'LogAppendTime';
    const log = this.#kafka.partitionLog(topic, partition);
    const firstOffset = endOffset(log);
    const appendedAtMs = Date.now();
    for (const record of records) {
      log.records.push({
        partition,
        offset: endOffset(log),
        timestampMs: logAppendTime ? appendedAtMs : record.timestampMs,
        timestampType: logAppendTime ? 'log-append-time' : 'create-time',
        key: record.key === null ? null : Buffer.from(record.key),
        value: record.value === null ? null : Buffer.from(record.value),
        headers: record.headers.map((header) => ({
          key: header.key,
          value: header.value === null ? null : Buffer.from(header.value),
        })),
      });
    }
    this.#kafka.changed();
    return records.length === 0 ? [] : [{ firstOffset, recordCount: records.length }];
  }

  async close(): Promise<void> {}
}

class InMemorySource implements LaneRecordSource {
  readonly #kafka: InMemoryKafka;
  readonly #options: RecordSourceOptions;
  /** Set for a lane's source (createLaneSource): read where the lane's group has no offset. */
  readonly #lane: { readonly previousGroupId: string | undefined } | undefined;
  readonly #abort = new AbortController();
  #listener: SourceListener = () => {};
  #assigned: number[] = [];
  /** Next offset to deliver, per assigned partition; unset until the partition's first look. */
  readonly #positions = new Map<number, bigint>();
  #started = false;
  #stopping = false;
  #paused = false;
  #joined = false;
  #loop: Promise<void> | undefined;

  constructor(
    kafka: InMemoryKafka,
    options: RecordSourceOptions,
    lane?: { readonly previousGroupId: string | undefined },
  ) {
    this.#kafka = kafka;
    this.#options = options;
    this.#lane = lane;
  }

  get topic(): string {
    return this.#options.topic;
  }

  get isLane(): boolean {
    return this.#lane !== undefined;
  }

  async partitionsAdded(): Promise<void> {
    if (this.#joined && !this.#stopping) this.#kafka.rebalance(this.#options.groupId, this.topic);
  }

  run(handler: BatchHandler, listener: SourceListener = () => {}): Promise<void> {
    if (this.#started) return Promise.reject(new Error('run() can be called once per source'));
    this.#started = true;
    this.#listener = listener;
    this.#loop = this.#consume(handler);
    return this.#loop;
  }

  /**
   * The end of each assigned partition this source has looked at, as it is now (age 0: this cluster answers at
   * once). None while paused, stopping or unavailable; a partition whose batch is in the handler is left out,
   * as a lane leaves such a partition out of its fetches.
   */
  fetchedEndOffsets(): FetchedEndOffset[] {
    if (this.#paused || this.#stopping || !this.#kafka.available) return [];
    const { topic } = this;
    const inFlight = this.#kafka.groups.get(this.#options.groupId)?.inFlight;
    return this.#assigned
      .filter((partition) => this.#positions.has(partition) && !inFlight?.has(`${topic}:${partition}`))
      .map((partition) => ({
        partition,
        lastStableOffset: endOffset(this.#kafka.partitionLog(topic, partition)),
        ageMs: 0,
      }));
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#kafka.changed();
  }

  async stop(options: { readonly inFlightGraceMs?: number } = {}): Promise<void> {
    this.#stopping = true;
    this.#kafka.changed();
    const grace = options.inFlightGraceMs ?? Number.POSITIVE_INFINITY;
    const abortTimer = Number.isFinite(grace) ? setTimeout(() => this.#abort.abort(), grace) : undefined;
    try {
      await this.#loop?.catch(() => undefined);
    } finally {
      clearTimeout(abortTimer);
    }
  }

  /** Called by the cluster when the group's partitions are spread anew. */
  assign(partitions: number[]): void {
    if (this.#joined) this.#emit({ type: 'rebalancing' });
    this.#joined = true;
    this.#assigned = partitions;
    for (const partition of this.#positions.keys()) {
      if (!partitions.includes(partition)) this.#positions.delete(partition);
    }
    this.#emit({ type: 'assigned', partitions: [...partitions] });
  }

  async #consume(handler: BatchHandler): Promise<void> {
    const { topic, groupId } = this.#options;
    this.#kafka.checkAvailable(`read topic ${topic} as group ${groupId}`);
    this.#kafka.topic(topic);
    const group = this.#kafka.group(groupId);
    group.members.push(this);
    this.#kafka.rebalance(groupId, topic);
    try {
      while (!this.#stopping) {
        this.#kafka.checkAvailable(`read topic ${topic} as group ${groupId}`);
        const batch = this.#paused ? undefined : this.#nextBatch(group);
        if (batch === undefined) {
          await this.#kafka.nextChange();
          continue;
        }
        const inFlightKey = `${topic}:${batch.partition}`;
        group.inFlight.add(inFlightKey);
        try {
          await handler(batch, this.#abort.signal);
        } catch (error) {
          if (this.#abort.signal.aborted) return; // stopping: uncommitted, read again later
          throw error;
        } finally {
          group.inFlight.delete(inFlightKey);
        }
        this.#commit(group, batch);
      }
    } finally {
      group.members.splice(group.members.indexOf(this), 1);
      this.#kafka.rebalance(groupId, topic);
    }
  }

  /** The next batch of an assigned partition, round robin; throws OffsetOutOfRange for a lost position. */
  #nextBatch(group: GroupState): ConsumedBatch | undefined {
    const { topic } = this.#options;
    for (const partition of this.#assigned) {
      if (group.inFlight.has(`${topic}:${partition}`)) continue;
      const log = this.#kafka.partitionLog(topic, partition);
      let position = this.#positions.get(partition);
      if (position === undefined) {
        const previousGroupId = this.#lane?.previousGroupId;
        const previous =
          previousGroupId === undefined
            ? undefined
            : this.#kafka.groups.get(previousGroupId)?.committed.get(topic)?.get(partition);
        position =
          group.committed.get(topic)?.get(partition) ??
          previous ??
          (this.#options.startPosition === 'earliest' ? log.logStart : endOffset(log));
        this.#positions.set(partition, position);
      }
      const end = endOffset(log);
      if (position < log.logStart || position > end) {
        throw new OffsetOutOfRange(this.#kafka.name, {
          topic,
          partition,
          requestedOffset: position,
          earliest: log.logStart,
          latest: end,
        });
      }
      if (position === end) continue;
      const from = Number(position - log.logStart);
      const records = log.records.slice(from, from + MAX_RECORDS_PER_BATCH);
      return {
        topic,
        partition,
        records,
        nextOffset: position + BigInt(records.length),
        highWatermark: end,
      };
    }
    return undefined;
  }

  #commit(group: GroupState, batch: ConsumedBatch): void {
    const byPartition = group.committed.get(batch.topic) ?? new Map<number, bigint>();
    byPartition.set(batch.partition, batch.nextOffset);
    group.committed.set(batch.topic, byPartition);
    if (this.#positions.has(batch.partition)) this.#positions.set(batch.partition, batch.nextOffset);
    this.#emit({ type: 'committed', offsets: [{ partition: batch.partition, offset: batch.nextOffset }] });
  }

  #emit(event: SourceEvent): void {
    try {
      this.#listener(event);
    } catch {
      // a listener's bug must not break consumption
    }
  }
}
