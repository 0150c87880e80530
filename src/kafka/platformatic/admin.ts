// KafkaAdmin over @platformatic/kafka's Admin client: what each operation asks and how the answer becomes the
// port's values. How a request is sent (errors mapped to the port's, leader moves retried, metadata read with
// Kafka's error codes) is admin-requests.ts; the requests sent together with other flows' are admin-batches.ts.
// Nothing here creates a topic implicitly.
import {
  ConfigResourceTypes,
  IncrementalAlterConfigOperationTypes,
  type ListConsumerGroupOffsetsGroup,
} from '@platformatic/kafka';
import type { ClusterConfig } from '../../config/types.js';
import { configSourceOf, consumerGroupStateOf } from '../admin-codes.js';
import { GroupNotEmpty, TopicNotFound } from '../errors.js';
import type {
  CommittedOffset,
  ConsumerGroupDescription,
  ConsumerGroupSummary,
  CreatedTopic,
  KafkaAdmin,
  NewTopic,
  OffsetToCommit,
  PartitionOffsets,
  TopicConfigChanges,
  TopicConfigEntry,
  TopicDescription,
  TopicSummary,
} from '../port.js';
import { waitForLeaders } from '../topic-leaders.js';
import { AdminBatches, type ConfigsResult, type CreationOutcome } from './admin-batches.js';
import { AdminRequests, type TopicMetadata } from './admin-requests.js';
import { type ErrorContext, kafkaErrorIds } from './map-error.js';
import { topicIdOf } from './metadata.js';

/** ListOffsets' timestamps that ask for the log start and for the end of the log. */
const EARLIEST_TIMESTAMP = -2n;
const LATEST_TIMESTAMP = -1n;
/** What OffsetCommit answers an admin (no member id, no generation) when the group has members. */
const GROUP_HAS_MEMBERS_IDS = ['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS'];

export class PlatformaticAdmin implements KafkaAdmin {
  readonly #requests: AdminRequests;
  /** Bound on a topic creation, waiting for leaders included. */
  readonly #topicChangeTimeoutMs: number;
  /** The partition increase running now; the next one waits for it (see createPartitions). */
  #partitionIncrease: Promise<unknown> = Promise.resolve();
  /** Requests each flow's start sends for its own topic, sent together with other flows'. */
  readonly #batches: AdminBatches;

  constructor(config: ClusterConfig) {
    this.#requests = new AdminRequests(config);
    this.#batches = new AdminBatches(this.#requests);
    this.#topicChangeTimeoutMs = config.requestTimeoutMs;
  }

  async listTopics(): Promise<TopicSummary[]> {
    const { response, version } = await this.#requests.metadata(null, { operation: 'list topics' });
    // a topic with an error of its own is being created or deleted: it is listed once that is done
    return response.topics
      .filter((topic) => topic.name !== null && topic.errorCode === 0)
      .map((topic) => ({
        name: topic.name!,
        partitionCount: topic.partitions.length,
        topicId: topicIdOf(topic, version),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async describeTopic(topic: string): Promise<TopicDescription> {
    const context = { operation: `describe topic ${topic}`, topic };
    const [[described], configs] = await Promise.all([
      this.#requests.topicsMetadata([topic], context),
      this.#describeConfigs([topic], context),
    ]);
    const topicConfigs = configs.get(topic);
    if (topicConfigs === undefined) throw new TopicNotFound(this.#requests.clusterName, topic); // deleted meanwhile
    return { ...described!, configs: topicConfigs };
  }

  async describeTopicConfigs(topics: readonly string[]): Promise<Map<string, TopicConfigEntry[]>> {
    if (topics.length === 0) return new Map();
    return await this.#describeConfigs(topics, {
      operation: `describe configs of ${topics.length} topics`,
    });
  }

  /**
   * The topics' configs, asked with other callers' in one DescribeConfigs request; topics the broker does not
   * know are left out, any other error fails it.
   */
  async #describeConfigs(
    topics: readonly string[],
    context: ErrorContext,
  ): Promise<Map<string, TopicConfigEntry[]>> {
    let results: readonly ConfigsResult[];
    try {
      results = await this.#batches.configs.request(topics);
    } catch (error) {
      throw this.#requests.portError(error, context);
    }
    const asked = new Set(topics);
    return new Map(
      results
        .filter((result) => (result.errorCode ?? 0) === 0 && asked.has(result.resourceName))
        .map((result) => [
          result.resourceName,
          result.configs.map((entry) => ({
            name: entry.name,
            value: entry.value ?? null,
            source: configSourceOf(entry.configSource),
            sensitive: entry.isSensitive,
            readOnly: entry.readOnly,
          })),
        ]),
    );
  }

  async createTopic(topic: NewTopic): Promise<CreatedTopic | 'already-exists'> {
    const context = { operation: `create topic ${topic.name}`, topic: topic.name };
    let outcome: CreationOutcome;
    try {
      outcome = await this.#batches.creations.request(topic);
    } catch (error) {
      throw this.#requests.portError(error, context);
    }
    if (typeof outcome === 'object') throw this.#requests.portError(outcome.failed, context);
    if (outcome === 'already-exists') return 'already-exists';
    const { topicId } = await waitForLeaders({
      clusterName: this.#requests.clusterName,
      operation: context.operation,
      topic: topic.name,
      partitionCount: topic.partitionCount,
      timeoutMs: this.#topicChangeTimeoutMs,
      metadata: async () => (await this.#requests.topicsMetadataIfKnown([topic.name], context))[0]!,
    });
    return { topicId };
  }

  /**
   * One at a time: the library merges concurrent createPartitions calls of one client into the first one
   * (whatever their topics), so a second topic's increase would resolve without ever being sent.
   */
  async createPartitions(topic: string, totalPartitionCount: number): Promise<void> {
    const context = { operation: `add partitions to topic ${topic}`, topic };
    const increase = this.#partitionIncrease.then(() =>
      this.#requests.call(context, (admin) =>
        admin.createPartitions({
          topics: [{ name: topic, count: totalPartitionCount, assignments: null }],
        }),
      ),
    );
    this.#partitionIncrease = increase.catch(() => undefined);
    await increase;
    // As after createTopic: what comes next (a write to a new partition, a describe) finds them all.
    await waitForLeaders({
      clusterName: this.#requests.clusterName,
      operation: context.operation,
      topic,
      partitionCount: totalPartitionCount,
      timeoutMs: this.#topicChangeTimeoutMs,
      metadata: async () => (await this.#requests.topicsMetadataIfKnown([topic], context))[0]!,
    });
  }

  async alterTopicConfigs(topic: string, changes: TopicConfigChanges): Promise<void> {
    await this.#alterConfigs(topic, changes, { operation: `alter configs of topic ${topic}`, topic });
  }

  async #alterConfigs(topic: string, changes: TopicConfigChanges, context: ErrorContext): Promise<void> {
    const configs = [
      ...changes.remove.map((name) => ({
        name,
        configOperation: IncrementalAlterConfigOperationTypes.DELETE,
      })),
      ...[...changes.set].map(([name, value]) => ({
        name,
        configOperation: IncrementalAlterConfigOperationTypes.SET,
        value,
      })),
    ];
    if (configs.length === 0) return;
    await this.#requests.call(context, (admin) =>
      admin.incrementalAlterConfigs({
        resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configs }],
      }),
    );
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.#requests.call({ operation: `delete topic ${topic}`, topic }, (admin) =>
      admin.deleteTopics({ topics: [topic] }),
    );
  }

  async brokerCount(): Promise<number> {
    const { response } = await this.#requests.metadata([], { operation: 'describe cluster' });
    return response.brokers.length;
  }

  async partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
    const context = { operation: `fetch offsets of topic ${topic}`, topic };
    const [{ partitions }] = (await this.#requests.topicsMetadata([topic], context)) as [TopicMetadata];
    const numbers = partitions.map(({ partition }) => partition);
    const offsetsAt = (timestamp: bigint) =>
      this.#requests.retryingLeaderChanges(context, () =>
        this.#batches.offsets.request({ topic, partitions: numbers, timestamp }),
      );
    const [earliest, latest] = await Promise.all([
      offsetsAt(EARLIEST_TIMESTAMP),
      offsetsAt(LATEST_TIMESTAMP),
    ]);
    return numbers.map((partition) => ({
      partition,
      earliest: earliest.get(partition) ?? 0n,
      latest: latest.get(partition) ?? 0n,
    }));
  }

  async listConsumerGroups(): Promise<ConsumerGroupSummary[]> {
    // No type filter: the library lists only classic groups by default, Kafka 4's consumer groups too here.
    const groups = await this.#requests.call({ operation: 'list consumer groups' }, (admin) =>
      admin.listGroups({ types: [] }),
    );
    return [...groups.values()].map((group) => ({ groupId: group.id, protocolType: group.protocolType }));
  }

  async describeConsumerGroups(groupIds: readonly string[]): Promise<ConsumerGroupDescription[]> {
    if (groupIds.length === 0) return [];
    const groups = await this.#requests.call({ operation: 'describe consumer groups' }, (admin) =>
      admin.describeGroups({ groups: [...groupIds] }),
    );
    return [...groups.values()].map((group) => ({
      groupId: group.id,
      state: consumerGroupStateOf(group.state),
      memberCount: group.members.size,
    }));
  }

  async committedOffsets(groupId: string, topics: readonly string[]): Promise<CommittedOffset[]> {
    if (topics.length === 0) return [];
    // The broker answers "no offset" for a topic it does not know: the partitions come from metadata, which
    // also reports a missing topic.
    const context = { operation: `fetch committed offsets of group ${groupId}`, groupId };
    const described = await this.#requests.topicsMetadata(topics, context);
    let listed: ListConsumerGroupOffsetsGroup | undefined;
    try {
      listed = await this.#batches.groupOffsets.request({
        groupId,
        topics: described.map(({ name, partitions }) => ({
          name,
          partitionIndexes: partitions.map(({ partition }) => partition),
        })),
      });
    } catch (error) {
      throw this.#requests.portError(error, context);
    }
    const offsets = new Map(
      (listed?.topics ?? []).flatMap((topic) =>
        topic.partitions.map((entry) => [`${topic.name}:${entry.partitionIndex}`, entry]),
      ),
    );
    return described.flatMap(({ name, partitions }) =>
      partitions.map(({ partition }) => {
        const entry = offsets.get(`${name}:${partition}`);
        const offset = entry?.committedOffset ?? -1n;
        // Kafka reports "no committed offset" as -1
        return {
          topic: name,
          partition,
          offset: offset < 0n ? null : offset,
          metadata: offset < 0n ? null : (entry?.metadata ?? null),
        };
      }),
    );
  }

  async setCommittedOffsets(
    groupId: string,
    topic: string,
    offsets: readonly OffsetToCommit[],
  ): Promise<void> {
    const context = { operation: `set committed offsets of group ${groupId}`, topic, groupId };
    try {
      if (offsets.some(({ metadata }) => metadata !== undefined)) {
        await this.#batches.commitsWithMetadata.request({ groupId, topic, offsets });
      } else {
        await this.#requests.send((admin) =>
          admin.alterConsumerGroupOffsets({
            groupId,
            topics: [
              {
                name: topic,
                partitionOffsets: offsets.map(({ partition, offset }) => ({ partition, offset })),
              },
            ],
          }),
        );
      }
    } catch (error) {
      // The broker takes offsets from outside the group only while it is empty; otherwise it answers as to a
      // member it does not know.
      const ids = kafkaErrorIds(error);
      if (GROUP_HAS_MEMBERS_IDS.some((id) => ids.has(id))) {
        throw new GroupNotEmpty(this.#requests.clusterName, groupId, { cause: error });
      }
      throw this.#requests.portError(error, context);
    }
  }

  async deleteConsumerGroup(groupId: string): Promise<void> {
    try {
      await this.#requests.send((admin) => admin.deleteGroups({ groups: [groupId] }));
    } catch (error) {
      if (kafkaErrorIds(error).has('GROUP_ID_NOT_FOUND')) return;
      throw this.#requests.portError(error, { operation: `delete consumer group ${groupId}`, groupId });
    }
  }

  async close(): Promise<void> {
    await this.#requests.admin.close();
  }
}
