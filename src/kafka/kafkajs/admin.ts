// KafkaAdmin over kafkajs's admin client. kafkajs's admin never asks brokers to auto-create topics.

import type { Admin, Kafka } from 'kafkajs';
import { configSourceOf, consumerGroupStateOf } from '../admin-codes.js';
import { GroupNotEmpty, TopicNotFound } from '../errors.js';
import type {
  CommittedOffset,
  ConsumerGroupDescription,
  ConsumerGroupSummary,
  KafkaAdmin,
  NewTopic,
  PartitionOffsets,
  TopicConfigChanges,
  TopicConfigEntry,
  TopicDescription,
  TopicSummary,
} from '../port.js';
import { waitForLeaders } from '../topic-leaders.js';
import { loadKafkajs } from './load-kafkajs.js';
import { type ErrorContext, reportsTopicMissing, toPortError } from './map-error.js';

/** How long a replaced kafkajs admin stays connected for the calls still running on it: above any request timeout. */
const RETIRED_ADMIN_GRACE_MS = 60_000;

/** Kafka's error codes for a group that does not exist and one that still has members. */
const GROUP_ID_NOT_FOUND = 69;
const NON_EMPTY_GROUP = 68;

export class KafkajsAdmin implements KafkaAdmin {
  readonly #kafka: Kafka;
  #admin: Admin;
  /** Replaced kafkajs admins (see #call), disconnected once the calls still running on them are done. */
  readonly #retiredAdmins: Admin[] = [];
  /** Topics the kafkajs admin now in use remembers: those whose offsets it was asked for. */
  readonly #rememberedTopics = new Set<string>();
  readonly #clusterName: string;
  /** Bound on a topic creation or partition increase, waiting for leaders included. */
  readonly #topicChangeTimeoutMs: number;
  #connected: Promise<void> | undefined;

  constructor(kafka: Kafka, clusterName: string, topicChangeTimeoutMs: number) {
    this.#kafka = kafka;
    this.#admin = kafka.admin();
    this.#clusterName = clusterName;
    this.#topicChangeTimeoutMs = topicChangeTimeoutMs;
  }

  async listTopics(): Promise<TopicSummary[]> {
    const { topics } = await this.#call({ operation: 'list topics' }, (admin) => admin.fetchTopicMetadata());
    return topics
      .map((topic) => ({ name: topic.name, partitionCount: topic.partitions.length, topicId: null }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async describeTopic(topic: string): Promise<TopicDescription> {
    const context = { operation: `describe topic ${topic}`, topic };
    const [metadata, configs] = await Promise.all([
      this.#call(context, (admin) => admin.fetchTopicMetadata({ topics: [topic] })),
      this.#describeConfigs([topic], context),
    ]);
    const partitions = metadata.topics.find((candidate) => candidate.name === topic)?.partitions ?? [];
    return {
      name: topic,
      topicId: null, // kafkajs reads metadata versions without topic ids
      partitions: partitions
        .map((partition) => ({
          partition: partition.partitionId,
          leader: partition.leader,
          replicas: [...partition.replicas],
          inSyncReplicas: [...partition.isr],
        }))
        .sort((a, b) => a.partition - b.partition),
      configs: configs.get(topic) ?? [],
    };
  }

  async describeTopicConfigs(topics: readonly string[]): Promise<Map<string, TopicConfigEntry[]>> {
    const [only] = topics;
    if (only === undefined) return new Map();
    if (topics.length === 1) {
      try {
        return await this.#describeConfigs(topics, {
          operation: `describe configs of topic ${only}`,
          topic: only,
        });
      } catch (error) {
        if (error instanceof TopicNotFound) return new Map();
        throw error;
      }
    }
    try {
      return await this.#describeConfigs(topics, {
        operation: `describe configs of ${topics.length} topics`,
      });
    } catch (error) {
      if (!reportsTopicMissing(error)) throw error;
    }
    // One unknown topic fails the whole request without saying which: asked one by one, only it is left out.
    const described = await Promise.all(topics.map((topic) => this.describeTopicConfigs([topic])));
    return new Map(described.flatMap((entries) => [...entries]));
  }

  async #describeConfigs(
    topics: readonly string[],
    context: ErrorContext,
  ): Promise<Map<string, TopicConfigEntry[]>> {
    const { resources } = await this.#call(context, (admin) =>
      admin.describeConfigs({
        resources: topics.map((name) => ({ type: loadKafkajs().ConfigResourceTypes.TOPIC, name })),
        includeSynonyms: false,
      }),
    );
    return new Map(
      resources.map((resource) => [
        resource.resourceName,
        resource.configEntries.map((entry) => ({
          name: entry.configName,
          value: entry.configValue,
          source: configSourceOf((entry as { configSource?: number }).configSource),
          sensitive: entry.isSensitive,
          readOnly: entry.readOnly,
        })),
      ]),
    );
  }

  async createTopic(topic: NewTopic): Promise<'created' | 'already-exists'> {
    const context = { operation: `create topic ${topic.name}`, topic: topic.name };
    const created = await this.#call(context, (admin) =>
      admin.createTopics({
        // kafkajs's own wait gives up on the first UNKNOWN_TOPIC_OR_PARTITION; see waitForLeaders.
        waitForLeaders: false,
        timeout: this.#topicChangeTimeoutMs,
        topics: [
          {
            topic: topic.name,
            numPartitions: topic.partitionCount,
            replicationFactor: topic.replicationFactor,
            configEntries: [...topic.configs].map(([name, value]) => ({ name, value })),
          },
        ],
      }),
    );
    if (created) {
      await waitForLeaders({
        clusterName: this.#clusterName,
        topic: topic.name,
        partitionCount: topic.partitionCount,
        timeoutMs: this.#topicChangeTimeoutMs,
        partitions: async () => {
          const { topics } = await this.#call(context, (admin) =>
            admin.fetchTopicMetadata({ topics: [topic.name] }),
          );
          return topics.find((candidate) => candidate.name === topic.name)?.partitions ?? [];
        },
      });
    }
    return created ? 'created' : 'already-exists';
  }

  async createPartitions(topic: string, totalPartitionCount: number): Promise<void> {
    await this.#call({ operation: `add partitions to topic ${topic}`, topic }, (admin) =>
      admin.createPartitions({
        timeout: this.#topicChangeTimeoutMs,
        topicPartitions: [{ topic, count: totalPartitionCount }],
      }),
    );
  }

  async replaceTopicConfigs(topic: string, configs: ReadonlyMap<string, string>): Promise<void> {
    await this.#call({ operation: `set configs of topic ${topic}`, topic }, (admin) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: loadKafkajs().ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: [...configs].map(([name, value]) => ({ name, value })),
          },
        ],
      }),
    );
  }

  /**
   * kafkajs has no IncrementalAlterConfigs: the topic's current topic-level configs are read, changed and
   * written back whole, so a change someone else makes between the two requests is undone.
   */
  async alterTopicConfigs(topic: string, changes: TopicConfigChanges): Promise<void> {
    const context = { operation: `alter configs of topic ${topic}`, topic };
    const described = await this.#describeConfigs([topic], context);
    const configs = new Map(
      (described.get(topic) ?? [])
        .filter((entry) => entry.source === 'topic' && entry.value !== null)
        .map((entry) => [entry.name, entry.value!]),
    );
    for (const key of changes.remove) configs.delete(key);
    for (const [key, value] of changes.set) configs.set(key, value);
    await this.replaceTopicConfigs(topic, configs);
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.#call({ operation: `delete topic ${topic}`, topic }, (admin) =>
      admin.deleteTopics({ topics: [topic], timeout: this.#topicChangeTimeoutMs }),
    );
  }

  async brokerCount(): Promise<number> {
    const { brokers } = await this.#call({ operation: 'describe cluster' }, (admin) =>
      admin.describeCluster(),
    );
    return brokers.length;
  }

  async partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
    this.#rememberedTopics.add(topic);
    const offsets = await this.#call({ operation: `fetch offsets of topic ${topic}`, topic }, (admin) =>
      admin.fetchTopicOffsets(topic),
    );
    return offsets
      .map((entry) => ({
        partition: entry.partition,
        earliest: BigInt(entry.low),
        latest: BigInt(entry.high),
      }))
      .sort((a, b) => a.partition - b.partition);
  }

  async listConsumerGroups(): Promise<ConsumerGroupSummary[]> {
    const { groups } = await this.#call({ operation: 'list consumer groups' }, (admin) => admin.listGroups());
    return groups.map((group) => ({ groupId: group.groupId, protocolType: group.protocolType }));
  }

  async describeConsumerGroups(groupIds: readonly string[]): Promise<ConsumerGroupDescription[]> {
    if (groupIds.length === 0) return [];
    const { groups } = await this.#call({ operation: 'describe consumer groups' }, (admin) =>
      admin.describeGroups([...groupIds]),
    );
    return groups.map((group) => ({
      groupId: group.groupId,
      state: consumerGroupStateOf(group.state),
      memberCount: group.members.length,
    }));
  }

  async committedOffsets(groupId: string, topics: readonly string[]): Promise<CommittedOffset[]> {
    if (topics.length === 0) return [];
    for (const topic of topics) this.#rememberedTopics.add(topic);
    const context = {
      operation: `fetch committed offsets of group ${groupId}`,
      groupId,
      // a missing topic can be named only when there is one
      ...(topics.length === 1 ? { topic: topics[0]! } : {}),
    };
    const byTopic = await this.#call(context, (admin) =>
      admin.fetchOffsets({ groupId, topics: [...topics] }),
    );
    return byTopic.flatMap(({ topic, partitions }) =>
      partitions
        .map(({ partition, offset }) => ({
          topic,
          partition,
          // kafkajs reports "no committed offset" as -1
          offset: BigInt(offset) < 0n ? null : BigInt(offset),
        }))
        .sort((a, b) => a.partition - b.partition),
    );
  }

  async setCommittedOffsets(
    groupId: string,
    topic: string,
    offsets: readonly { readonly partition: number; readonly offset: bigint }[],
  ): Promise<void> {
    const context = { operation: `set committed offsets of group ${groupId}`, topic, groupId };
    this.#rememberedTopics.add(topic);
    try {
      await this.#call(context, (admin) =>
        admin.setOffsets({
          groupId,
          topic,
          partitions: offsets.map(({ partition, offset }) => ({ partition, offset: offset.toString() })),
        }),
      );
    } catch (error) {
      // kafkajs checks the group itself and throws an untyped error when it has members
      const message = String((error as { cause?: { message?: unknown } }).cause?.message ?? '');
      if (message.includes('must have no running instances')) {
        throw new GroupNotEmpty(this.#clusterName, groupId, { cause: error });
      }
      throw error;
    }
  }

  async deleteConsumerGroup(groupId: string): Promise<void> {
    await this.#call({ operation: `delete consumer group ${groupId}`, groupId }, (admin) =>
      admin.deleteGroups([groupId]).catch((error: unknown) => {
        // KafkaJSDeleteGroupsError lists each group it could not delete with Kafka's error code
        const code = (error as { groups?: { errorCode?: number }[] }).groups?.[0]?.errorCode;
        if (code === GROUP_ID_NOT_FOUND) return [];
        if (code === NON_EMPTY_GROUP) throw new GroupNotEmpty(this.#clusterName, groupId, { cause: error });
        throw error;
      }),
    );
  }

  async close(): Promise<void> {
    const retired = this.#retiredAdmins.splice(0);
    await Promise.all(retired.map((admin) => admin.disconnect().catch(() => undefined)));
    if (this.#connected === undefined) return;
    this.#connected = undefined;
    await this.#admin.disconnect();
  }

  /**
   * Connects on first use, runs `action`, and maps its failure to a port error.
   *
   * kafkajs's admin remembers every topic whose offsets it was asked for and names all of them in each later
   * metadata refresh; once one of them is deleted, every call that refreshes metadata fails with "unknown
   * topic", whatever topic it was about. So a TopicNotFound from an admin that remembers topics is tried once
   * more with a new kafkajs admin, which remembers none: only a topic that is really missing fails again.
   */
  async #call<T>(context: ErrorContext, action: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.#admin;
    try {
      return await this.#attempt(admin, action);
    } catch (error) {
      const portError = toPortError(error, this.#clusterName, context);
      if (!(portError instanceof TopicNotFound) || this.#rememberedTopics.size === 0) throw portError;
      if (admin === this.#admin) this.#renewAdmin();
    }
    try {
      return await this.#attempt(this.#admin, action);
    } catch (error) {
      throw toPortError(error, this.#clusterName, context);
    }
  }

  async #attempt<T>(admin: Admin, action: (admin: Admin) => Promise<T>): Promise<T> {
    if (admin === this.#admin) {
      this.#connected ??= admin.connect().catch((error: unknown) => {
        this.#connected = undefined;
        throw error;
      });
      await this.#connected;
    }
    return await action(admin);
  }

  /** Replaces the kafkajs admin; the old one is disconnected a little later, after calls still running on it. */
  #renewAdmin(): void {
    const retired = this.#admin;
    this.#retiredAdmins.push(retired);
    setTimeout(() => {
      const index = this.#retiredAdmins.indexOf(retired);
      if (index < 0) return; // close() took it
      this.#retiredAdmins.splice(index, 1);
      void retired.disconnect().catch(() => undefined);
    }, RETIRED_ADMIN_GRACE_MS).unref();
    this.#admin = this.#kafka.admin();
    this.#connected = undefined;
    this.#rememberedTopics.clear();
  }
}
