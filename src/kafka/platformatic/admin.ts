// KafkaAdmin over @platformatic/kafka's Admin client; metadata comes from ./metadata.ts. Nothing here creates a
// topic implicitly.
import {
  Admin,
  ConfigResourceTypes,
  type describeConfigsV4,
  FetchIsolationLevels,
  IncrementalAlterConfigOperationTypes,
} from '@platformatic/kafka';
import type { ClusterConfig } from '../../config/types.js';
import { configSourceOf, consumerGroupStateOf } from '../admin-codes.js';
import { GroupNotEmpty, type KafkaError, TopicNotFound, UnexpectedKafkaError } from '../errors.js';
import type {
  CommittedOffset,
  ConsumerGroupDescription,
  ConsumerGroupSummary,
  KafkaAdmin,
  NewTopic,
  OffsetToCommit,
  PartitionDescription,
  PartitionOffsets,
  TopicConfigChanges,
  TopicConfigEntry,
  TopicDescription,
  TopicId,
  TopicSummary,
} from '../port.js';
import { waitForLeaders } from '../topic-leaders.js';
import { baseOptions } from './client-options.js';
import { type ErrorContext, kafkaErrorIds, responseOf, toPortError } from './map-error.js';
import { type MetadataRead, readMetadata, topicIdOf } from './metadata.js';
import { commitOffsetsWithMetadata } from './offset-commit.js';
import { TlsAlerts } from './tls-alerts.js';

type ConfigsResult = Pick<describeConfigsV4.DescribeConfigsResponseResult, 'resourceName' | 'configs'> & {
  readonly errorCode?: number;
};

interface TopicMetadata {
  readonly name: string;
  readonly topicId: TopicId;
  readonly partitions: PartitionDescription[];
}

/** Pause before the second try of a request to partition leaders; each further try waits longer. */
const LEADER_RETRY_DELAY_MS = 100;
/** ListOffsets' timestamps that ask for the log start and for the end of the log. */
const EARLIEST_TIMESTAMP = -2n;
const LATEST_TIMESTAMP = -1n;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
/** Errors of a request sent to a broker that is not, or not yet, the partition's leader. */
const LEADER_CHANGE_IDS = [
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_LEADER_EPOCH',
  'FENCED_LEADER_EPOCH',
];
/** Tries of a request to partition leaders while they move: about 1.5 s in all. */
const LEADER_CHANGE_ATTEMPTS = 6;
/** What OffsetCommit answers an admin (no member id, no generation) when the group has members. */
const GROUP_HAS_MEMBERS_IDS = ['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS'];

export class PlatformaticAdmin implements KafkaAdmin {
  readonly #admin: Admin;
  readonly #clusterName: string;
  readonly #tlsAlerts = new TlsAlerts();
  /** Bound on a topic creation, waiting for leaders included. */
  readonly #topicChangeTimeoutMs: number;
  /** The partition increase running now; the next one waits for it (see createPartitions). */
  #partitionIncrease: Promise<unknown> = Promise.resolve();

  constructor(config: ClusterConfig) {
    this.#admin = new Admin(baseOptions(config, 'admin'));
    this.#tlsAlerts.watch(this.#admin, 'client:broker:connect');
    this.#clusterName = config.name;
    this.#topicChangeTimeoutMs = config.requestTimeoutMs;
  }

  async listTopics(): Promise<TopicSummary[]> {
    const { response, version } = await this.#metadata(null, { operation: 'list topics' });
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
      this.#topicsMetadata([topic], context),
      this.#describeConfigs([topic], context),
    ]);
    const topicConfigs = configs.get(topic);
    if (topicConfigs === undefined) throw new TopicNotFound(this.#clusterName, topic); // deleted meanwhile
    return { ...described!, configs: topicConfigs };
  }

  async describeTopicConfigs(topics: readonly string[]): Promise<Map<string, TopicConfigEntry[]>> {
    if (topics.length === 0) return new Map();
    return await this.#describeConfigs(topics, {
      operation: `describe configs of ${topics.length} topics`,
    });
  }

  /** One DescribeConfigs request; topics the broker does not know are left out, any other error fails it. */
  async #describeConfigs(
    topics: readonly string[],
    context: ErrorContext,
  ): Promise<Map<string, TopicConfigEntry[]>> {
    const resources = topics.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name }));
    let results: readonly ConfigsResult[];
    try {
      results = await this.#admin.describeConfigs({ resources, includeSynonyms: false });
    } catch (error) {
      // The library fails the whole request when one topic is missing; the broker still described the others.
      const partial = responseIfOnlyTopicsMissing(error, 'results');
      if (partial === undefined) throw this.#portError(error, context);
      results = partial as ConfigsResult[];
    }
    return new Map(
      results
        .filter((result) => (result.errorCode ?? 0) === 0)
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

  async createTopic(topic: NewTopic): Promise<'created' | 'already-exists'> {
    const context = { operation: `create topic ${topic.name}`, topic: topic.name };
    try {
      await this.#admin.createTopics({
        topics: [topic.name],
        partitions: topic.partitionCount,
        replicas: topic.replicationFactor,
        configs: [...topic.configs].map(([name, value]) => ({ name, value })),
      });
    } catch (error) {
      if (kafkaErrorIds(error).has('TOPIC_ALREADY_EXISTS')) return 'already-exists';
      throw this.#portError(error, context);
    }
    await waitForLeaders({
      clusterName: this.#clusterName,
      topic: topic.name,
      partitionCount: topic.partitionCount,
      timeoutMs: this.#topicChangeTimeoutMs,
      partitions: async () => (await this.#topicsMetadata([topic.name], context))[0]!.partitions,
    });
    return 'created';
  }

  /**
   * One at a time: the library merges concurrent createPartitions calls of one client into the first one
   * (whatever their topics), so a second topic's increase would resolve without ever being sent.
   */
  async createPartitions(topic: string, totalPartitionCount: number): Promise<void> {
    const increase = this.#partitionIncrease.then(() =>
      this.#call({ operation: `add partitions to topic ${topic}`, topic }, (admin) =>
        admin.createPartitions({
          topics: [{ name: topic, count: totalPartitionCount, assignments: null }],
        }),
      ),
    );
    this.#partitionIncrease = increase.catch(() => undefined);
    await increase;
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
    await this.#call(context, (admin) =>
      admin.incrementalAlterConfigs({
        resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configs }],
      }),
    );
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.#call({ operation: `delete topic ${topic}`, topic }, (admin) =>
      admin.deleteTopics({ topics: [topic] }),
    );
  }

  async brokerCount(): Promise<number> {
    const { response } = await this.#metadata([], { operation: 'describe cluster' });
    return response.brokers.length;
  }

  async partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
    const context = { operation: `fetch offsets of topic ${topic}`, topic };
    const [{ partitions }] = (await this.#topicsMetadata([topic], context)) as [TopicMetadata];
    const offsetsAt = async (timestamp: bigint) => {
      const [listed] = await this.#callLeaders(context, (admin) =>
        admin.listOffsets({
          // read_committed: the end is the last stable offset, as a read_committed consumer sees it
          isolationLevel: FetchIsolationLevels.READ_COMMITTED,
          topics: [
            {
              name: topic,
              partitions: partitions.map(({ partition }) => ({ partitionIndex: partition, timestamp })),
            },
          ],
        }),
      );
      return new Map((listed?.partitions ?? []).map((entry) => [entry.partitionIndex, entry.offset]));
    };
    const [earliest, latest] = await Promise.all([
      offsetsAt(EARLIEST_TIMESTAMP),
      offsetsAt(LATEST_TIMESTAMP),
    ]);
    return partitions.map(({ partition }) => ({
      partition,
      earliest: earliest.get(partition) ?? 0n,
      latest: latest.get(partition) ?? 0n,
    }));
  }

  async listConsumerGroups(): Promise<ConsumerGroupSummary[]> {
    // No type filter: the library lists only classic groups by default, Kafka 4's consumer groups too here.
    const groups = await this.#call({ operation: 'list consumer groups' }, (admin) =>
      admin.listGroups({ types: [] }),
    );
    return [...groups.values()].map((group) => ({ groupId: group.id, protocolType: group.protocolType }));
  }

  async describeConsumerGroups(groupIds: readonly string[]): Promise<ConsumerGroupDescription[]> {
    if (groupIds.length === 0) return [];
    const groups = await this.#call({ operation: 'describe consumer groups' }, (admin) =>
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
    const described = await this.#topicsMetadata(topics, context);
    const [listed] = await this.#call(context, (admin) =>
      admin.listConsumerGroupOffsets({
        groups: [
          {
            groupId,
            topics: described.map(({ name, partitions }) => ({
              name,
              partitionIndexes: partitions.map(({ partition }) => partition),
            })),
          },
        ],
      }),
    );
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
        await commitOffsetsWithMetadata(this.#admin, groupId, topic, offsets);
      } else {
        await this.#admin.alterConsumerGroupOffsets({
          groupId,
          topics: [
            {
              name: topic,
              partitionOffsets: offsets.map(({ partition, offset }) => ({ partition, offset })),
            },
          ],
        });
      }
    } catch (error) {
      // The broker takes offsets from outside the group only while it is empty; otherwise it answers as to a
      // member it does not know.
      const ids = kafkaErrorIds(error);
      if (GROUP_HAS_MEMBERS_IDS.some((id) => ids.has(id))) {
        throw new GroupNotEmpty(this.#clusterName, groupId, { cause: error });
      }
      throw this.#portError(error, context);
    }
  }

  async deleteConsumerGroup(groupId: string): Promise<void> {
    try {
      await this.#admin.deleteGroups({ groups: [groupId] });
    } catch (error) {
      if (kafkaErrorIds(error).has('GROUP_ID_NOT_FOUND')) return;
      throw this.#portError(error, { operation: `delete consumer group ${groupId}`, groupId });
    }
  }

  async close(): Promise<void> {
    await this.#admin.close();
  }

  /** The topics' partitions (by partition number) and ids, in the order asked. @throws TopicNotFound */
  async #topicsMetadata(topics: readonly string[], context: ErrorContext): Promise<TopicMetadata[]> {
    const { response, version, error } = await this.#metadata([...topics], context);
    return topics.map((name) => {
      const found = response.topics.find((candidate) => candidate.name === name);
      if (found === undefined || found.errorCode === UNKNOWN_TOPIC_OR_PARTITION) {
        throw new TopicNotFound(this.#clusterName, name, { cause: error });
      }
      if (found.errorCode !== 0) throw this.#portError(error, { ...context, topic: name });
      return {
        name,
        topicId: topicIdOf(found, version),
        partitions: found.partitions
          .map((partition) => ({
            partition: partition.partitionIndex,
            leader: partition.leaderId,
            replicas: [...partition.replicaNodes],
            inSyncReplicas: [...partition.isrNodes],
          }))
          .sort((a, b) => a.partition - b.partition),
      };
    });
  }

  async #metadata(topics: string[] | null, context: ErrorContext): Promise<MetadataRead> {
    // the raw request goes around the client's own check, and would open connections again
    if (this.#admin.closed) {
      throw new UnexpectedKafkaError(this.#clusterName, `${context.operation}: the admin is closed`, false);
    }
    return await this.#call(context, (admin) => readMetadata(admin, topics));
  }

  /**
   * #call for a request to partition leaders, tried again while a leader moves. Metadata names a partition's
   * new leader (a new topic's, a moved one's) a moment before that broker acts as leader; the library looks
   * the leaders up again on each try. Retrying here rather than in the runtime keeps that moment, which
   * follows every topic creation, from failing a whole discovery round.
   */
  async #callLeaders<T>(context: ErrorContext, action: (admin: Admin) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await action(this.#admin);
      } catch (error) {
        const ids = kafkaErrorIds(error);
        if (attempt >= LEADER_CHANGE_ATTEMPTS || !LEADER_CHANGE_IDS.some((id) => ids.has(id))) {
          throw this.#portError(error, context);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, LEADER_RETRY_DELAY_MS * attempt));
    }
  }

  async #call<T>(context: ErrorContext, action: (admin: Admin) => Promise<T>): Promise<T> {
    try {
      return await action(this.#admin);
    } catch (error) {
      throw this.#portError(error, context);
    }
  }

  #portError(error: unknown, context: ErrorContext): KafkaError {
    return toPortError(this.#tlsAlerts.explain(error), this.#clusterName, context);
  }
}

/** The response's `field` array when the only errors in it are unknown topics; undefined otherwise. */
function responseIfOnlyTopicsMissing(error: unknown, field: string): unknown[] | undefined {
  const ids = kafkaErrorIds(error);
  if (ids.size !== 1 || !ids.has('UNKNOWN_TOPIC_OR_PARTITION')) return undefined;
  const entries = responseOf(error)?.[field];
  return Array.isArray(entries) ? entries : undefined;
}
