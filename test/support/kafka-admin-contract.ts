// What the runtime relies on from a KafkaAdmin, as tests that run against every implementation of the port:
// the in-memory double (test/unit/kafka/in-memory-kafka.test.ts) and each real adapter on brokers of every
// supported Kafka version (test/integration/kafka-port-admin.test.ts).
//
// Topics are created and described back with every config and its source; creating an existing topic is not
// an error; many topics' configs come in one call that leaves out a topic deleted meanwhile; partitions only
// grow; replacing configs makes the map the topic's whole set and altering changes only what it names (a
// removed key goes back to the default); a missing topic is TopicNotFound; partition offsets stop at an open
// transaction; group offsets are set only while the group is empty; topic ids tell a re-created topic apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupNotEmpty, InvalidRequest, KafkaError, TopicNotFound } from '../../src/kafka/errors.js';
import type { KafkaAdmin, TopicConfigEntry } from '../../src/kafka/port.js';
import { eventually, uniqueName } from './kafka-port-contract.js';

export interface AdminContractSubject {
  readonly admin: KafkaAdmin;
  /** Topics the contract created, for the subject's owner to delete. */
  readonly createdTopics: string[];
  /** Appends `count` records to the topic's partition, through anything but the admin under test. */
  write(topic: string, partition: number, count: number): Promise<void>;
  /** Makes a consumer a member of `groupId` reading `topic`; resolves once it is, with how to make it leave. */
  joinGroup(topic: string, groupId: string): Promise<() => Promise<void>>;
  /**
   * Writes `count` records to partition 0 of `topic` in a transaction it leaves open; resolves with how to
   * abort it. Absent where the subject has no transactions (the in-memory double).
   */
  openTransaction?(topic: string, count: number): Promise<() => Promise<void>>;
}

/** For `eventually`: a Retriable failure means "not yet", anything else fails the test. */
function unlessRetriable(error: unknown): undefined {
  if (error instanceof KafkaError && error.retriable) return undefined;
  throw error;
}

/** A topic-level config the broker checks: an hour, in ms. */
const RETENTION_MS = '3600000';

/** The topic-level (dynamic) configs among described ones, by name. */
function topicLevel(configs: readonly TopicConfigEntry[]): Record<string, string | null> {
  return Object.fromEntries(
    configs
      .filter((entry) => entry.source === 'topic')
      .map((entry) => [entry.name, entry.value])
      .sort(([a], [b]) => (a! < b! ? -1 : 1)),
  );
}

/** Defines the contract's tests in the calling describe; `subject` is read when each test runs. */
export function adminContract(subject: () => AdminContractSubject): void {
  const admin = () => subject().admin;

  async function created(prefix: string, partitionCount: number, configs = new Map<string, string>()) {
    const name = uniqueName(prefix);
    const outcome = await admin().createTopic({ name, partitionCount, replicationFactor: 1, configs });
    subject().createdTopics.push(name);
    assert.notEqual(outcome, 'already-exists');
    // the id a creation answers is the topic's: a flow pins it without describing the topic again
    assert.deepEqual(outcome, { topicId: (await admin().describeTopic(name)).topicId });
    return name;
  }

  test('creates a topic and describes it back: partitions with leaders, every config with its source', async () => {
    const configs = new Map([
      ['retention.ms', RETENTION_MS],
      ['cleanup.policy', 'compact'],
    ]);
    const topic = await created('admin-create', 2, configs);
    const described = await admin().describeTopic(topic);
    assert.equal(described.name, topic);
    assert.deepEqual(
      described.partitions.map((partition) => partition.partition),
      [0, 1],
    );
    for (const partition of described.partitions) {
      assert.ok(partition.leader >= 0, `partition ${partition.partition} has a leader`);
      assert.deepEqual(partition.replicas, [partition.leader]);
      assert.deepEqual(partition.inSyncReplicas, [partition.leader]);
    }
    assert.deepEqual(topicLevel(described.configs), {
      'cleanup.policy': 'compact',
      'retention.ms': RETENTION_MS,
    });
    assert.deepEqual(
      described.configs.find((entry) => entry.name === 'retention.ms'),
      { name: 'retention.ms', value: RETENTION_MS, source: 'topic', sensitive: false, readOnly: false },
    );
    const maxMessageBytes = described.configs.find((entry) => entry.name === 'max.message.bytes');
    assert.ok(maxMessageBytes !== undefined && maxMessageBytes.source !== 'topic', 'inherited configs too');
    assert.match(maxMessageBytes.value ?? '', /^\d+$/);

    const listed = (await admin().listTopics()).find((summary) => summary.name === topic);
    assert.deepEqual(listed, { name: topic, partitionCount: 2, topicId: described.topicId });
    assert.ok((await admin().brokerCount()) >= 1);

    // A second host creating the same topic learns that it exists, with nothing changed.
    assert.equal(
      await admin().createTopic({ name: topic, partitionCount: 5, replicationFactor: 1, configs: new Map() }),
      'already-exists',
    );
    assert.equal((await admin().describeTopic(topic)).partitions.length, 2);
  });

  test('describes the configs of many topics in one call, leaving out a topic that does not exist', async () => {
    const first = await created('admin-configs-a', 1, new Map([['retention.ms', RETENTION_MS]]));
    const second = await created('admin-configs-b', 1);
    const missing = uniqueName('admin-configs-missing');
    const described = await admin().describeTopicConfigs([first, missing, second]);
    assert.deepEqual([...described.keys()].sort(), [first, second].sort());
    assert.deepEqual(topicLevel(described.get(first)!), { 'retention.ms': RETENTION_MS });
    assert.deepEqual(topicLevel(described.get(second)!), {});
    assert.ok(described.get(second)!.some((entry) => entry.name === 'retention.ms'));
    assert.deepEqual(await admin().describeTopicConfigs([missing]), new Map());
    assert.deepEqual(await admin().describeTopicConfigs([]), new Map());
  });

  test('adds partitions, also to several topics at once, and refuses a count that is not an increase', async (t) => {
    const topic = await created('admin-partitions', 1);
    await admin().createPartitions(topic, 3);
    await eventually(
      'three partitions with leaders',
      async () => {
        const { partitions } = await admin().describeTopic(topic);
        return partitions.length === 3 && partitions.every((p) => p.leader >= 0) ? true : undefined;
      },
      t.signal,
    );
    // Metadata names a new partition's leader a moment before that broker acts as one (Retriable until then).
    const offsets = await eventually(
      'the offsets of three partitions',
      () => admin().partitionOffsets(topic).catch(unlessRetriable),
      t.signal,
    );
    assert.deepEqual(
      offsets.map(({ partition, earliest, latest }) => [partition, earliest, latest]),
      [
        [0, 0n, 0n],
        [1, 0n, 0n],
        [2, 0n, 0n],
      ],
    );
    await assert.rejects(admin().createPartitions(topic, 3), InvalidRequest);
    await assert.rejects(admin().createPartitions(topic, 2), InvalidRequest);

    // A discovery round raises several topics at once: each gets its own count.
    const others = [await created('admin-partitions-b', 1), await created('admin-partitions-c', 1)];
    await Promise.all([admin().createPartitions(others[0]!, 2), admin().createPartitions(others[1]!, 4)]);
    await eventually(
      'two and four partitions',
      async () => {
        const counts = await Promise.all(
          others.map(async (name) => (await admin().describeTopic(name)).partitions.length),
        );
        return counts.join() === '2,4' ? true : undefined;
      },
      t.signal,
    );
  });

  test('alters only the topic configs it names; a removed one goes back to its default', async (t) => {
    const topic = await created(
      'admin-alter',
      1,
      new Map([
        ['retention.ms', RETENTION_MS],
        ['segment.ms', '7200000'],
      ]),
    );
    const settled = (expected: Record<string, string>, what: string) =>
      eventually(
        what,
        async () => {
          const { configs } = await admin().describeTopic(topic);
          return JSON.stringify(topicLevel(configs)) === JSON.stringify(expected) ? configs : undefined;
        },
        t.signal,
        30_000,
      );

    await admin().alterTopicConfigs(topic, {
      set: new Map([
        ['retention.ms', '7200000'],
        ['cleanup.policy', 'compact'],
      ]),
      remove: [],
    });
    await settled(
      { 'cleanup.policy': 'compact', 'retention.ms': '7200000', 'segment.ms': '7200000' },
      'the set configs, the others left as they were',
    );

    await admin().alterTopicConfigs(topic, {
      set: new Map([['segment.ms', '86400000']]),
      remove: ['cleanup.policy', 'max.message.bytes'],
    });
    const configs = await settled(
      { 'retention.ms': '7200000', 'segment.ms': '86400000' },
      'the altered configs',
    );
    const cleanupPolicy = configs.find((entry) => entry.name === 'cleanup.policy');
    assert.equal(cleanupPolicy?.value, 'delete', 'a removed config is back at its default');
    assert.notEqual(cleanupPolicy?.source, 'topic');

    // Setting what the topic already holds changes nothing; removing every key leaves none on the topic.
    await admin().alterTopicConfigs(topic, { set: new Map([['retention.ms', '7200000']]), remove: [] });
    await settled({ 'retention.ms': '7200000', 'segment.ms': '86400000' }, 'the same configs');
    await admin().alterTopicConfigs(topic, { set: new Map(), remove: ['retention.ms', 'segment.ms'] });
    await settled({}, 'no topic-level configs');
  });

  test('reports a topic that does not exist as TopicNotFound', async () => {
    const missing = uniqueName('admin-missing');
    const rejectsNamingIt = (what: Promise<unknown>) =>
      assert.rejects(what, (error) => error instanceof TopicNotFound && error.topic === missing);
    await rejectsNamingIt(admin().describeTopic(missing));
    await rejectsNamingIt(admin().partitionOffsets(missing));
    await rejectsNamingIt(admin().committedOffsets(uniqueName('admin-group'), [missing]));
    await rejectsNamingIt(admin().createPartitions(missing, 2));
    await rejectsNamingIt(
      admin().alterTopicConfigs(missing, { set: new Map([['retention.ms', RETENTION_MS]]), remove: [] }),
    );
    await rejectsNamingIt(admin().deleteTopic(missing));
    assert.ok(!(await admin().listTopics()).some((topic) => topic.name === missing));
  });

  test('reports the earliest and latest offset of each partition; latest stops at an open transaction', async (t) => {
    const topic = await created('admin-offsets', 2);
    // as for added partitions, the new topic's leaders may still be taking over
    const initial = await eventually(
      'the offsets of the new topic',
      () => admin().partitionOffsets(topic).catch(unlessRetriable),
      t.signal,
    );
    assert.deepEqual(initial, [
      { partition: 0, earliest: 0n, latest: 0n },
      { partition: 1, earliest: 0n, latest: 0n },
    ]);
    await subject().write(topic, 0, 5);
    assert.deepEqual(await admin().partitionOffsets(topic), [
      { partition: 0, earliest: 0n, latest: 5n },
      { partition: 1, earliest: 0n, latest: 0n },
    ]);

    const { openTransaction } = subject();
    if (openTransaction === undefined) return;
    const abort = await openTransaction.call(subject(), topic, 3);
    try {
      // The open transaction's records are in the log, but a read_committed consumer does not see them yet.
      assert.equal((await admin().partitionOffsets(topic))[0]?.latest, 5n);
    } finally {
      await abort();
    }
    // 3 aborted records and the abort marker: the end moves past them once the transaction is over.
    await eventually(
      'the end past the aborted transaction',
      async () => ((await admin().partitionOffsets(topic))[0]?.latest === 9n ? true : undefined),
      t.signal,
    );
  });

  test('reports the offsets of many topics asked at once, each its own', async (t) => {
    const topics = await Promise.all([1, 2, 3, 4].map(() => created('admin-offsets-many', 1)));
    await eventually(
      'the offsets of the new topics',
      () => Promise.all(topics.map((topic) => admin().partitionOffsets(topic))).catch(unlessRetriable),
      t.signal,
    );
    for (const [index, topic] of topics.entries()) await subject().write(topic, 0, index + 1);
    const missing = uniqueName('admin-offsets-missing');
    const [absent, ...offsets] = await Promise.allSettled([
      admin().partitionOffsets(missing),
      ...topics.map((topic) => admin().partitionOffsets(topic)),
    ]);
    assert.ok(absent?.status === 'rejected' && absent.reason instanceof TopicNotFound);
    assert.deepEqual(
      offsets.map((settled) => (settled.status === 'fulfilled' ? settled.value : settled.reason)),
      topics.map((_, index) => [{ partition: 0, earliest: 0n, latest: BigInt(index + 1) }]),
    );
  });

  test("sets and reads a group's committed offsets only while the group has no members", async () => {
    const topic = await created('admin-group-offsets', 2);
    const groupId = uniqueName('admin-group');
    await subject().write(topic, 0, 10);
    const committed = async () =>
      (await admin().committedOffsets(groupId, [topic])).map(({ topic, partition, offset }) => ({
        topic,
        partition,
        offset,
      }));
    assert.deepEqual(await committed(), [
      { topic, partition: 0, offset: null },
      { topic, partition: 1, offset: null },
    ]);
    await admin().setCommittedOffsets(groupId, topic, [{ partition: 0, offset: 3n }]);
    assert.deepEqual(await committed(), [
      { topic, partition: 0, offset: 3n },
      { topic, partition: 1, offset: null },
    ]);
    assert.ok((await admin().listConsumerGroups()).some((group) => group.groupId === groupId));

    const leave = await subject().joinGroup(topic, groupId);
    try {
      const [described] = await admin().describeConsumerGroups([groupId]);
      assert.equal(described?.memberCount, 1);
      assert.equal(described?.state, 'stable');
      await assert.rejects(
        admin().setCommittedOffsets(groupId, topic, [{ partition: 0, offset: 7n }]),
        (error) => error instanceof GroupNotEmpty && error.groupId === groupId,
      );
      await assert.rejects(admin().deleteConsumerGroup(groupId), GroupNotEmpty);
    } finally {
      await leave();
    }

    await admin().setCommittedOffsets(groupId, topic, [{ partition: 1, offset: 0n }]);
    const offsets = await admin().committedOffsets(groupId, [topic]);
    assert.equal(offsets[1]?.offset, 0n);
    await admin().deleteConsumerGroup(groupId);
    assert.deepEqual(
      (await admin().committedOffsets(groupId, [topic])).map((entry) => entry.offset),
      [null, null],
    );
    assert.deepEqual(await admin().describeConsumerGroups([groupId]), [
      { groupId, state: 'dead', memberCount: 0 },
    ]);
  });

  test('keeps the metadata string committed with an offset (georep keeps topic lineages in it)', async () => {
    const topic = await created('admin-offset-metadata', 2);
    const groupId = uniqueName('admin-metadata-group');
    const metadata = '{"format":"georep-lineage-1","origin":"a","destination":"b"}';
    await admin().setCommittedOffsets(groupId, topic, [{ partition: 0, offset: 0n, metadata }]);
    assert.deepEqual(await admin().committedOffsets(groupId, [topic]), [
      { topic, partition: 0, offset: 0n, metadata },
      { topic, partition: 1, offset: null, metadata: null },
    ]);
    await admin().deleteConsumerGroup(groupId);
  });

  test('metadata committed at the same moment to several groups and topics (sent together) is each kept', async () => {
    const topics = [await created('admin-metadata-a', 1), await created('admin-metadata-b', 1)];
    const groupIds = [1, 2, 3].map(() => uniqueName('admin-metadata-groups'));
    const commits = groupIds.flatMap((groupId) =>
      topics.map((topic) => ({ groupId, topic, metadata: `${groupId} ${topic}` })),
    );
    await Promise.all(
      commits.map(({ groupId, topic, metadata }) =>
        admin().setCommittedOffsets(groupId, topic, [{ partition: 0, offset: 0n, metadata }]),
      ),
    );
    for (const { groupId, topic, metadata } of commits) {
      assert.deepEqual(await admin().committedOffsets(groupId, [topic]), [
        { topic, partition: 0, offset: 0n, metadata },
      ]);
    }
    await Promise.all(groupIds.map((groupId) => admin().deleteConsumerGroup(groupId)));
  });

  test('deleting a consumer group that does not exist is not an error', async () => {
    await admin().deleteConsumerGroup(uniqueName('admin-no-such-group'));
    assert.deepEqual(await admin().describeConsumerGroups([]), []);
  });

  test('gives a topic an id, and a new one when the topic is deleted and created again', async (t) => {
    const topic = await created('admin-topic-id', 1);
    const { topicId } = await admin().describeTopic(topic);
    assert.match(topicId ?? '', /^[A-Za-z0-9_-]{22}$/, 'Kafka prints a topic id as 22 base64url characters');
    assert.equal((await admin().describeTopic(topic)).topicId, topicId, 'the id stays');

    await admin().deleteTopic(topic);
    await eventually(
      'the topic created again',
      async () =>
        (await admin().createTopic({
          name: topic,
          partitionCount: 1,
          replicationFactor: 1,
          configs: new Map(),
        })) === 'already-exists'
          ? undefined
          : true,
      t.signal,
    );
    const recreated = await admin().describeTopic(topic);
    assert.match(recreated.topicId ?? '', /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(recreated.topicId, topicId);
    assert.equal(
      (await admin().listTopics()).find((summary) => summary.name === topic)?.topicId,
      recreated.topicId,
    );
  });
}
