// The admin requests each flow sends for its own topic (at its start: its configs, its creation, its group's
// committed offsets, its lineage; every few seconds, while its lane does not fetch it: its offsets for the lag),
// each kind coalesced (request-coalescer.ts) with other flows' into one request of many topics or groups:
// thousands of flows send tens of requests, not thousands.
import {
  ConfigResourceTypes,
  type describeConfigsV4,
  FetchIsolationLevels,
  type ListConsumerGroupOffsetsGroup,
} from '@platformatic/kafka';
import type { NewTopic } from '../port.js';
import { RequestCoalescer } from '../request-coalescer.js';
import {
  type AdminRequests,
  COALESCE_WINDOW_MS,
  COALESCED_REQUESTS_IN_FLIGHT,
  responseIfOnlyTopicsMissing,
} from './admin-requests.js';
import { responseOf } from './map-error.js';
import { commitOffsetsWithMetadata, type TopicOffsetsToCommit } from './offset-commit.js';

/** A group's committed offsets to read, for these partitions of these topics. */
export interface GroupOffsetsQuery {
  readonly groupId: string;
  readonly topics: readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[];
}

/** One topic's partitions whose offsets at `timestamp` (ListOffsets: -2 the log start, -1 its end) to list. */
export interface TopicOffsetsQuery {
  readonly topic: string;
  readonly partitions: readonly number[];
  readonly timestamp: bigint;
}

export type ConfigsResult = Pick<
  describeConfigsV4.DescribeConfigsResponseResult,
  'resourceName' | 'configs'
> & {
  readonly errorCode?: number;
};

/** What Kafka did with one topic of a CreateTopics: `failed` holds the library's error for it alone. */
export type CreationOutcome = 'created' | 'already-exists' | { readonly failed: unknown };

/** Most topics (or groups) in one coalesced request. */
const TOPICS_PER_REQUEST = 100;
/**
 * Most topics in one coalesced ListOffsets: every flow asks for its lag every few seconds, so thousands of flows
 * ask at once (lag-refresher.ts). The library reads metadata again for each ListOffsets it sends.
 */
const OFFSETS_TOPICS_PER_REQUEST = 500;
const TOPIC_ALREADY_EXISTS = 36;

/** Each caller's own answer or error; the library's errors, for the caller to map with its own context. */
export class AdminBatches {
  readonly #requests: AdminRequests;
  /** DescribeConfigs of topic lists: every caller gets the whole answer, and reads its own topics from it. */
  readonly configs: RequestCoalescer<readonly string[], readonly ConfigsResult[]>;
  /** Each topic's outcome, a refusal included: a failed batch fails only when Kafka did not answer at all. */
  readonly creations: RequestCoalescer<NewTopic, CreationOutcome>;
  readonly groupOffsets: RequestCoalescer<GroupOffsetsQuery, ListConsumerGroupOffsetsGroup | undefined>;
  /** Each caller's topic's offsets at its timestamp, by partition (read_committed: the end is the last stable offset). */
  readonly offsets: RequestCoalescer<TopicOffsetsQuery, ReadonlyMap<number, bigint>>;
  /** Offsets with metadata (the flows' lineage) committed to groups nobody joins: one OffsetCommit per group. */
  readonly commitsWithMetadata: RequestCoalescer<TopicOffsetsToCommit, undefined>;

  constructor(requests: AdminRequests) {
    this.#requests = requests;
    // Kafka answered for each topic: send each again alone so that each caller gets its own outcome
    const sendAloneAfter = (error: unknown) => responseOf(error) !== undefined;
    const batching = {
      maxBatchSize: TOPICS_PER_REQUEST,
      windowMs: COALESCE_WINDOW_MS,
      maxInFlight: COALESCED_REQUESTS_IN_FLIGHT,
      sendAloneAfter,
    };
    this.configs = new RequestCoalescer({
      ...batching,
      send: async (lists) => {
        const results = await this.#describeConfigsOnce([...new Set(lists.flat())]);
        return lists.map(() => results);
      },
    });
    this.creations = new RequestCoalescer({
      ...batching,
      sendAloneAfter: undefined, // a topic is created by the batch even when another one is refused
      send: (topics) => this.#createTopicsOnce(topics),
    });
    this.groupOffsets = new RequestCoalescer({
      ...batching,
      send: (queries) => this.#groupOffsetsOnce(queries),
    });
    this.offsets = new RequestCoalescer({
      ...batching,
      maxBatchSize: OFFSETS_TOPICS_PER_REQUEST,
      send: (queries) => this.#offsetsOnce(queries),
    });
    this.commitsWithMetadata = new RequestCoalescer({
      ...batching,
      send: async (commits) => {
        await this.#requests.send((admin) => commitOffsetsWithMetadata(admin, commits));
        return commits.map(() => undefined);
      },
    });
  }

  /** One DescribeConfigs request; the library's error unless the only one is topics the broker does not know. */
  async #describeConfigsOnce(topics: readonly string[]): Promise<readonly ConfigsResult[]> {
    const resources = topics.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name }));
    try {
      return await this.#requests.send((admin) =>
        admin.describeConfigs({ resources, includeSynonyms: false }),
      );
    } catch (error) {
      // The library fails the whole request when one topic is missing; the broker still described the others.
      const partial = responseIfOnlyTopicsMissing(error, 'results');
      if (partial === undefined) throw error;
      return partial as ConfigsResult[];
    }
  }

  /**
   * One CreateTopics request per set of configs among `topics` (the library gives all topics of a request the
   * same configs); rejects only when the request failed as a whole (no answer for each topic).
   */
  async #createTopicsOnce(topics: readonly NewTopic[]): Promise<CreationOutcome[]> {
    const byConfigs = new Map<string, NewTopic[]>();
    for (const topic of topics) {
      const key = JSON.stringify([...topic.configs].sort());
      const sameConfigs = byConfigs.get(key);
      if (sameConfigs === undefined) byConfigs.set(key, [topic]);
      else sameConfigs.push(topic);
    }
    const outcomes = new Map(
      (await Promise.all([...byConfigs.values()].map((same) => this.#createSameConfigs(same)))).flatMap(
        (created) => [...created],
      ),
    );
    return topics.map(({ name }) => outcomes.get(name)!);
  }

  /**
   * Kafka creates or refuses each topic of a CreateTopics on its own: the ones it refused are sent again alone
   * (they do not exist, so they are refused again), for each caller to get its own error rather than the batch's.
   */
  async #createSameConfigs(topics: readonly NewTopic[]): Promise<Map<string, CreationOutcome>> {
    try {
      await this.#requests.send((admin) =>
        admin.createTopics({
          topics: topics.map(({ name, partitionCount, replicationFactor }) => ({
            topic: name,
            partitions: partitionCount,
            replicas: replicationFactor,
          })),
          configs: [...topics[0]!.configs].map(([name, value]) => ({ name, value })),
        }),
      );
      return new Map(topics.map(({ name }) => [name, 'created']));
    } catch (error) {
      const answered = responseOf(error)?.topics;
      if (!Array.isArray(answered)) throw error;
      const codes = new Map(
        (answered as { name: string; errorCode: number }[]).map((t) => [t.name, t.errorCode]),
      );
      const outcomes = new Map<string, CreationOutcome>();
      for (const topic of topics) {
        const code = codes.get(topic.name) ?? 0;
        if (code === 0) outcomes.set(topic.name, 'created');
        else if (code === TOPIC_ALREADY_EXISTS) outcomes.set(topic.name, 'already-exists');
        else if (topics.length === 1) outcomes.set(topic.name, { failed: error });
        else outcomes.set(topic.name, (await this.#createSameConfigs([topic])).get(topic.name)!);
      }
      return outcomes;
    }
  }

  /**
   * One listConsumerGroupOffsets for several groups: the library asks each coordinator once for all its groups
   * (OffsetFetch v8 takes several). It reads only the first entry of a group, so one group's topics are merged.
   */
  async #groupOffsetsOnce(
    queries: readonly GroupOffsetsQuery[],
  ): Promise<(ListConsumerGroupOffsetsGroup | undefined)[]> {
    const topicsByGroup = new Map<string, Map<string, readonly number[]>>();
    for (const { groupId, topics } of queries) {
      const groupTopics = topicsByGroup.get(groupId) ?? new Map<string, readonly number[]>();
      for (const { name, partitionIndexes } of topics) groupTopics.set(name, partitionIndexes);
      topicsByGroup.set(groupId, groupTopics);
    }
    const listed = await this.#requests.send((admin) =>
      admin.listConsumerGroupOffsets({
        groups: [...topicsByGroup].map(([groupId, topics]) => ({
          groupId,
          topics: [...topics].map(([name, partitionIndexes]) => ({
            name,
            partitionIndexes: [...partitionIndexes],
          })),
        })),
      }),
    );
    return queries.map(({ groupId }) => listed.find((group) => group.groupId === groupId));
  }

  /**
   * One ListOffsets per timestamp among the queries (Kafka refuses a partition named twice in one request). The
   * library sends each leader its own partitions.
   */
  async #offsetsOnce(queries: readonly TopicOffsetsQuery[]): Promise<ReadonlyMap<number, bigint>[]> {
    const topicsByTimestamp = new Map<bigint, Map<string, readonly number[]>>();
    for (const { topic, partitions, timestamp } of queries) {
      const topics = topicsByTimestamp.get(timestamp) ?? new Map<string, readonly number[]>();
      topics.set(topic, partitions);
      topicsByTimestamp.set(timestamp, topics);
    }
    const answers = new Map<bigint, Map<string, Map<number, bigint>>>();
    await Promise.all(
      [...topicsByTimestamp].map(async ([timestamp, topics]) => {
        const listed = await this.#requests.send((admin) =>
          admin.listOffsets({
            // read_committed: the end is the last stable offset, as a read_committed consumer sees it
            isolationLevel: FetchIsolationLevels.READ_COMMITTED,
            topics: [...topics].map(([name, partitions]) => ({
              name,
              partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })),
            })),
          }),
        );
        const byTopic = new Map<string, Map<number, bigint>>();
        for (const { name, partitions } of listed) {
          const offsets = byTopic.get(name) ?? new Map<number, bigint>();
          for (const { partitionIndex, offset } of partitions) offsets.set(partitionIndex, offset);
          byTopic.set(name, offsets);
        }
        answers.set(timestamp, byTopic);
      }),
    );
    return queries.map(({ topic, timestamp }) => answers.get(timestamp)?.get(topic) ?? new Map());
  }
}
