// Plain Kafka clients for the project's tools: tests writing and reading records, the benchmarks' load and
// watches, the demo's traffic and reader. They are @platformatic/kafka's own Producer, Consumer and Admin,
// never georep's port or adapters, so that what a tool writes or sees does not depend on the code under test.
// This file: the options they share and admin calls; kafka-writer.ts writes records, kafka-reader.ts reads
// them (each says which gaps of the library it works around, and which it leaves to Kafka's Java tools);
// test/integration/kafka-client.test.ts checks both against Kafka's Java client.
//
//   await withAdmin(bootstrap, (admin) => createTopics(admin, [{ topic: 'orders', partitions: 3 }]));
//   const ends = await withAdmin(bootstrap, (admin) => endOffsets(admin, 'orders'));
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Admin,
  type BaseOptions,
  FetchIsolationLevels,
  type FetchIsolationLevelValue,
  ListOffsetTimestamps,
} from '@platformatic/kafka';

export type Brokers = string | readonly string[];
export type Isolation = 'read_committed' | 'read_uncommitted';

export const DEFAULT_CLIENT_ID = 'georep-tool';
const LEADERS_TIMEOUT_MS = 60_000;
const LEADERS_POLL_MS = 200;

/**
 * Options every tool client shares: patient timeouts and a few retries, because a tool's request failing on
 * a busy machine says nothing about georep.
 */
export function toolClientOptions(brokers: Brokers, clientId = DEFAULT_CLIENT_ID): BaseOptions {
  return {
    clientId,
    bootstrapBrokers: typeof brokers === 'string' ? [brokers] : [...brokers],
    connectTimeout: 10_000,
    timeout: 30_000,
    retries: 5,
    retryDelay: 500,
  };
}

export function isolationLevel(isolation: Isolation): FetchIsolationLevelValue {
  return isolation === 'read_committed'
    ? FetchIsolationLevels.READ_COMMITTED
    : FetchIsolationLevels.READ_UNCOMMITTED;
}

export function toolAdmin(brokers: Brokers, clientId = DEFAULT_CLIENT_ID): Admin {
  return new Admin(toolClientOptions(brokers, clientId));
}

/** Runs `use` with a new admin client and closes it afterwards. */
export async function withAdmin<T>(brokers: Brokers, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = toolAdmin(brokers);
  try {
    return await use(admin);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

export interface TopicToCreate {
  readonly topic: string;
  readonly partitions: number;
  /** Topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  readonly configs?: Readonly<Record<string, string>>;
}

/** Creates the topics (replication factor 1) and waits until every partition has a leader. */
export async function createTopics(admin: Admin, topics: readonly TopicToCreate[]): Promise<void> {
  // The library's request gives all its topics one partition count and one set of configs: one request for
  // each distinct pair.
  const requests = new Map<string, TopicToCreate[]>();
  for (const topic of topics) {
    const key = JSON.stringify([topic.partitions, Object.entries(topic.configs ?? {}).sort()]);
    requests.set(key, [...(requests.get(key) ?? []), topic]);
  }
  for (const group of requests.values()) {
    const { partitions, configs } = group[0]!;
    await admin.createTopics({
      topics: group.map(({ topic }) => topic),
      partitions,
      replicas: 1,
      configs: Object.entries(configs ?? {}).map(([name, value]) => ({ name, value })),
    });
  }
  await waitForLeaders(
    admin,
    topics.map(({ topic }) => topic),
  );
}

/** Waits until every partition of the topics has a leader: a write right after creating may fail before. */
export async function waitForLeaders(
  admin: Admin,
  topics: readonly string[],
  timeoutMs = LEADERS_TIMEOUT_MS,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const metadata = await admin.metadata({ topics: [...topics], forceUpdate: true });
      const led = topics.every((topic) =>
        (metadata.topics.get(topic)?.partitions ?? []).every((partition) => partition.leader >= 0),
      );
      if (led) return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
    }
    if (performance.now() > deadline)
      throw new Error(`topics without a leader after ${timeoutMs} ms: ${topics.slice(0, 3).join(', ')}…`);
    await sleep(LEADERS_POLL_MS);
  }
}

/**
 * Next offset of every partition, by partition number: the high watermark, or with read_committed the last
 * stable offset (where a read_committed reader stops while a transaction is open). Rejects when the topic
 * does not exist.
 */
export async function endOffsets(
  admin: Admin,
  topic: string,
  isolation: Isolation = 'read_uncommitted',
): Promise<Map<number, bigint>> {
  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
  const partitionCount = metadata.topics.get(topic)?.partitionsCount ?? 0;
  const [listed] = await admin.listOffsets({
    isolationLevel: isolationLevel(isolation),
    topics: [
      {
        name: topic,
        partitions: Array.from({ length: partitionCount }, (_, partitionIndex) => ({
          partitionIndex,
          timestamp: ListOffsetTimestamps.LATEST,
        })),
      },
    ],
  });
  return new Map(
    (listed?.partitions ?? []).map(({ partitionIndex, offset }) => [partitionIndex, offset] as const),
  );
}

export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
}

/** A consumer group's state as the broker names it (`Stable`, `Empty`, `PreparingRebalance`, …) and members. */
export async function describeGroup(
  admin: Admin,
  groupId: string,
): Promise<{ state: string; members: GroupMember[] }> {
  const group = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
  return {
    state: group?.state ?? 'Dead',
    members: [...(group?.members.values() ?? [])].map((member) => ({
      memberId: member.id,
      clientId: member.clientId,
      clientHost: member.clientHost,
    })),
  };
}
