// The in-memory double of the port: it keeps the same source contract as the @platformatic/kafka adapter on
// real brokers, and the record, topic and error behaviour the runtime's unit tests will lean on.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  GroupNotEmpty,
  InvalidRequest,
  PartitionNotFound,
  Retriable,
  TopicNotFound,
} from '../../../src/kafka/errors.js';
import type { ConsumedRecord, RecordToWrite } from '../../../src/kafka/port.js';
import { InMemoryKafka } from '../../support/in-memory-kafka.js';
import { adminContract } from '../../support/kafka-admin-contract.js';
import { sourceContract } from '../../support/kafka-port-contract.js';

describe('the in-memory Kafka keeps the source contract', () => {
  const kafka = new InMemoryKafka('memory');
  const admin = kafka.createAdmin();
  sourceContract(() => ({
    port: kafka,
    admin,
    truncate: async (topic, beforeOffset) => kafka.truncate(topic, 0, BigInt(beforeOffset)),
    quietPeriodMs: 200,
    createdTopics: [],
  }));
});

describe('the in-memory Kafka keeps the admin contract', () => {
  const kafka = new InMemoryKafka('memory');
  adminContract(() => ({
    admin: kafka.createAdmin(),
    createdTopics: [],
    write: async (topic, partition, count) => {
      const records = Array.from({ length: count }, (_, index) => ({
        key: null,
        value: Buffer.from(`record ${index}`),
        headers: [],
        timestampMs: Date.now(),
      }));
      await kafka.createSink().write(topic, partition, records);
    },
    joinGroup: async (topic, groupId) => {
      const source = kafka.createSource({ topic, groupId, startPosition: 'earliest' });
      const joined = new Promise<void>((resolve) => {
        void source.run(
          async () => {},
          (event) => event.type === 'assigned' && resolve(),
        );
      });
      await joined;
      return () => source.stop();
    },
  }));
});

describe('the in-memory Kafka', () => {
  const record: RecordToWrite = {
    key: null,
    value: Buffer.from('v'),
    headers: [
      { key: Buffer.from('b'), value: null },
      { key: Buffer.from('a'), value: Buffer.alloc(0) },
      { key: Buffer.from('b'), value: Buffer.from([0xff]) },
    ],
    timestampMs: 0,
  };

  async function readAll(kafka: InMemoryKafka, topic: string, count: number): Promise<ConsumedRecord[]> {
    const source = kafka.createSource({ topic, groupId: `read-${topic}`, startPosition: 'earliest' });
    const read: ConsumedRecord[] = [];
    let done: () => void = () => {};
    const enough = new Promise<void>((resolve) => {
      done = resolve;
    });
    const running = source.run(async (batch) => {
      read.push(...batch.records);
      if (read.length >= count) done();
    });
    await enough;
    await source.stop();
    await running;
    return read;
  }

  test('keeps records exactly as written, at the partition given, with offsets from 0', async () => {
    const kafka = new InMemoryKafka();
    const admin = kafka.createAdmin();
    await admin.createTopic({ name: 't', partitionCount: 2, replicationFactor: 1, configs: new Map() });
    await kafka.createSink().write('t', 1, [record, record]);
    const read = await readAll(kafka, 't', 2);
    assert.deepEqual(read, [
      { ...record, partition: 1, offset: 0n, timestampType: 'create-time' },
      { ...record, partition: 1, offset: 1n, timestampType: 'create-time' },
    ]);
    assert.deepEqual(
      (await admin.partitionOffsets('t')).map(({ earliest, latest }) => [earliest, latest]),
      [
        [0n, 0n],
        [0n, 2n],
      ],
    );
  });

  test('gives LogAppendTime topics the append time', async () => {
    const kafka = new InMemoryKafka();
    await kafka.createAdmin().createTopic({
      name: 't',
      partitionCount: 1,
      replicationFactor: 1,
      configs: new Map([['message.timestamp.type', 'LogAppendTime']]),
    });
    const before = Date.now();
    await kafka.createSink().write('t', 0, [record]);
    const [read] = await readAll(kafka, 't', 1);
    assert.equal(read?.timestampType, 'log-append-time');
    assert.ok(read.timestampMs >= before);
  });

  test('never creates topics or partitions, and says which is missing', async () => {
    const kafka = new InMemoryKafka();
    const admin = kafka.createAdmin();
    await assert.rejects(kafka.createSink().write('missing', 0, [record]), TopicNotFound);
    await assert.rejects(admin.describeTopic('missing'), TopicNotFound);
    await assert.rejects(admin.committedOffsets('g', ['missing']), TopicNotFound);
    await assert.rejects(
      kafka.createSource({ topic: 'missing', groupId: 'g', startPosition: 'earliest' }).run(async () => {}),
      TopicNotFound,
    );
    await admin.createTopic({ name: 't', partitionCount: 1, replicationFactor: 1, configs: new Map() });
    await assert.rejects(kafka.createSink().write('t', 1, [record]), PartitionNotFound);
    assert.deepEqual(
      (await admin.listTopics()).map((topic) => topic.name),
      ['t'],
    );
  });

  test('manages topics as Kafka does: idempotent creation, more partitions only, configs altered key by key', async () => {
    const kafka = new InMemoryKafka('memory', { brokerCount: 2 });
    const admin = kafka.createAdmin();
    const topic = {
      name: 't',
      partitionCount: 2,
      replicationFactor: 2,
      configs: new Map([['retention.ms', '1']]),
    };
    const created = await admin.createTopic(topic);
    assert.deepEqual(created, { topicId: (await admin.describeTopic('t')).topicId });
    assert.equal(await admin.createTopic(topic), 'already-exists');
    await assert.rejects(admin.createTopic({ ...topic, name: 'u', replicationFactor: 3 }), InvalidRequest);
    await admin.createPartitions('t', 3);
    await assert.rejects(admin.createPartitions('t', 3), InvalidRequest);
    await admin.alterTopicConfigs('t', { set: new Map([['segment.ms', '5']]), remove: ['retention.ms'] });
    const configs = new Map((await admin.describeTopic('t')).configs.map((entry) => [entry.name, entry]));
    assert.deepEqual(configs.get('segment.ms'), {
      name: 'segment.ms',
      value: '5',
      source: 'topic',
      sensitive: false,
      readOnly: false,
    });
    assert.equal(configs.get('retention.ms')?.source, 'default');
    assert.equal((await admin.describeTopic('t')).partitions.length, 3);
    assert.equal(await admin.brokerCount(), 2);
  });

  test('describes groups: members, state, committed offsets', async () => {
    const kafka = new InMemoryKafka();
    const admin = kafka.createAdmin();
    await admin.createTopic({ name: 't', partitionCount: 1, replicationFactor: 1, configs: new Map() });
    await admin.setCommittedOffsets('g', 't', [{ partition: 0, offset: 0n }]);
    assert.deepEqual(await admin.describeConsumerGroups(['g', 'unknown']), [
      { groupId: 'g', state: 'empty', memberCount: 0 },
      { groupId: 'unknown', state: 'dead', memberCount: 0 },
    ]);
    const source = kafka.createSource({ topic: 't', groupId: 'g', startPosition: 'earliest' });
    const running = source.run(async () => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await admin.describeConsumerGroups(['g']), [
      { groupId: 'g', state: 'stable', memberCount: 1 },
    ]);
    await assert.rejects(admin.setCommittedOffsets('g', 't', [{ partition: 0, offset: 0n }]), GroupNotEmpty);
    await source.stop();
    await running;
    assert.deepEqual(await admin.listConsumerGroups(), [{ groupId: 'g', protocolType: 'consumer' }]);
  });

  test('while unavailable, every call fails with Retriable and a running source stops with it', async () => {
    const kafka = new InMemoryKafka();
    const admin = kafka.createAdmin();
    await admin.createTopic({ name: 't', partitionCount: 1, replicationFactor: 1, configs: new Map() });
    const running = kafka
      .createSource({ topic: 't', groupId: 'g', startPosition: 'earliest' })
      .run(async () => {});
    kafka.setUnavailable('connection refused');
    await assert.rejects(running, Retriable);
    await assert.rejects(admin.listTopics(), Retriable);
    await assert.rejects(kafka.createSink().write('t', 0, [record]), (error: unknown) => {
      assert.ok(error instanceof Retriable);
      assert.equal(error.retriable, true);
      assert.match(error.message, /connection refused/);
      return true;
    });
    kafka.setUnavailable(null);
    await kafka.createSink().write('t', 0, [record]);
  });
});

describe("the in-memory Kafka's lane sources", () => {
  const write = (kafka: InMemoryKafka, topic: string, partition: number, count: number) =>
    kafka.createSink().write(
      topic,
      partition,
      Array.from({ length: count }, (_, index) => ({
        key: null,
        value: Buffer.from(`${topic} ${index}`),
        headers: [],
        timestampMs: 0,
      })),
    );

  /** A lane source of `topic` that records what it read (partition:offset of each record) and its assignments. */
  function attach(kafka: InMemoryKafka, topic: string, previousGroupId?: string) {
    const read: string[] = [];
    const assigned: number[][] = [];
    const source = kafka.createLaneSource({
      topic,
      laneGroupId: 'lane',
      startPosition: 'earliest',
      ...(previousGroupId === undefined ? {} : { previousGroupId }),
    });
    const running = source.run(
      async (batch) => {
        for (const consumed of batch.records) read.push(`${batch.partition}:${consumed.offset}`);
      },
      (event) => {
        if (event.type === 'assigned') assigned.push([...event.partitions]);
      },
    );
    return { source, running, read, assigned };
  }

  const settle = () => new Promise((resolve) => setTimeout(resolve, 60));

  test('flows of one lane share its group without moving each other; a partition without a lane offset starts at the old group', async () => {
    const kafka = new InMemoryKafka();
    const admin = kafka.createAdmin();
    for (const topic of ['a', 'b'])
      await admin.createTopic({ name: topic, partitionCount: 2, replicationFactor: 1, configs: new Map() });
    await write(kafka, 'a', 0, 3);
    await write(kafka, 'b', 0, 3);
    await admin.setCommittedOffsets('old-a', 'a', [{ partition: 0, offset: 2n }]);
    const a = attach(kafka, 'a', 'old-a');
    const b = attach(kafka, 'b');
    try {
      await settle();
      assert.deepEqual(a.assigned, [[0, 1]], 'b joining the lane did not move a');
      assert.deepEqual(a.read, ['0:2'], 'a resumed where its old group stood');
      assert.deepEqual(b.read, ['0:0', '0:1', '0:2']);
      const committed = await admin.committedOffsets('lane', ['a']);
      assert.equal(committed.find((offset) => offset.partition === 0)?.offset, 3n);
    } finally {
      for (const { source, running } of [a, b]) {
        await source.stop();
        await running;
      }
    }
  });

  test('a lane source knows the ends of the partitions it reads, as the origin lists them; paused or down, none', async () => {
    const kafka = new InMemoryKafka();
    const admin = kafka.createAdmin();
    await admin.createTopic({ name: 'a', partitionCount: 2, replicationFactor: 1, configs: new Map() });
    await write(kafka, 'a', 0, 3);
    const a = attach(kafka, 'a');
    const ends = () =>
      a.source
        .fetchedEndOffsets()
        .map(({ partition, lastStableOffset }) => `${partition}:${lastStableOffset}`);
    try {
      await settle();
      assert.deepEqual(ends(), ['0:3', '1:0']);
      kafka.setUnavailable('down');
      assert.deepEqual(ends(), []);
      kafka.setUnavailable(null);
      a.source.pause();
      assert.deepEqual(ends(), []);
    } finally {
      await a.source.stop();
      await a.running;
    }
  });

  test('a grown topic is read whole only after partitionsAdded()', async () => {
    const kafka = new InMemoryKafka();
    const admin = kafka.createAdmin();
    await admin.createTopic({ name: 'a', partitionCount: 1, replicationFactor: 1, configs: new Map() });
    const a = attach(kafka, 'a');
    try {
      await settle();
      await admin.createPartitions('a', 2);
      await write(kafka, 'a', 1, 1);
      await settle();
      assert.deepEqual(a.read, [], 'the new partition is not read before partitionsAdded()');
      await a.source.partitionsAdded();
      await settle();
      assert.deepEqual(a.read, ['1:0']);
      assert.deepEqual(a.assigned, [[0], [0, 1]]);
    } finally {
      await a.source.stop();
      await a.running;
    }
  });
});
