// The Kafka port against real brokers of every supported Kafka version: the admin's topic operations, and
// record fidelity both ways. What georep's sink writes is read back with Kafka's own Java consumer, and what
// Kafka's own Java producer writes is read with georep's source; both are compared byte for byte (keys,
// values, headers in order with repeats and nulls, timestamps and their type, partitions and offsets).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { withAdmin } from '../../harness/kafka-client.js';
import { recordWriter } from '../../harness/kafka-writer.js';
import type { TestCluster } from '../../harness/test-clusters.js';
import { InvalidRequest, PartitionNotFound, RecordTooLarge, TopicNotFound } from '../../src/kafka/errors.js';
import type { ConsumedRecord, KafkaAdmin, KafkaCluster, RecordToWrite } from '../../src/kafka/port.js';
import { describeOnEveryVersion } from './support/every-version.js';
import { type JavaRecord, readWithJavaConsumer, writeWithJavaProducer } from './support/java-records.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { portOn } from './support/port-clusters.js';
import { header, KEEP_FOREVER, TRICKY_RECORDS } from './support/tricky-records.js';

const TEST_TIMEOUT_MS = 180_000;

/** What Kafka's Java consumer must see after `writes` (records by partition) were written to an empty topic. */
function expectedInTopic(writes: ReadonlyMap<number, readonly RecordToWrite[]>): JavaRecord[] {
  return [...writes.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([partition, records]) =>
      records.map((record, index) => ({
        partition,
        offset: BigInt(index),
        timestampType: 'create-time' as const,
        timestampMs: record.timestampMs,
        key: record.key,
        value: record.value,
        headers: [...record.headers],
      })),
    );
}

/**
 * A consumed record without what it says of the batch it came in: its codec (`compression`, which the tests
 * check apart) and the batch's bytes (`originBatch`, which compression.test.ts shows forwarded).
 */
function withoutBatchDetails(
  records: readonly ConsumedRecord[],
): Omit<ConsumedRecord, 'compression' | 'originBatch'>[] {
  return records.map(({ compression: _, originBatch: __, ...record }) => record);
}

/** Reads `count` records of `topic` from the start with georep's source in a fresh group, by partition and offset. */
async function readWithSource(
  port: KafkaCluster,
  topic: string,
  count: number,
  signal: AbortSignal,
): Promise<ConsumedRecord[]> {
  const source = port.createSource({
    topic,
    groupId: uniqueTopicName('port-read'),
    startPosition: 'earliest',
  });
  const records: ConsumedRecord[] = [];
  let reachedCount: () => void = () => {};
  const enough = new Promise<void>((resolve) => {
    reachedCount = resolve;
  });
  const running = source.run(async (batch) => {
    records.push(...batch.records);
    if (records.length >= count) reachedCount();
  });
  const aborted = new Promise<never>((_, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
  );
  await Promise.race([enough, running.then(() => assert.fail('the source stopped by itself')), aborted]);
  await source.stop();
  await running;
  return records.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
}

describeOnEveryVersion({ timeoutMs: TEST_TIMEOUT_MS * 10 }, (target) => {
  let cluster: TestCluster;
  let port: KafkaCluster;
  let admin: KafkaAdmin;
  const createdTopics: string[] = [];

  before(() => {
    cluster = target.clusters()[0]!;
    port = portOn(cluster);
    admin = port.createAdmin();
  });
  after(async () => {
    if (createdTopics.length > 0) {
      await withAdmin(cluster.brokers, (admin) => admin.deleteTopics({ topics: createdTopics }));
    }
    await admin?.close();
  });

  /** Kafka's Java consumer reads exactly `writes` (records by partition) in `topic`, from offset 0. */
  async function assertJavaConsumerReads(
    topic: string,
    writes: ReadonlyMap<number, readonly RecordToWrite[]>,
    signal: AbortSignal,
  ): Promise<void> {
    const read = await readWithJavaConsumer({
      version: target.toolsVersion,
      brokers: cluster.brokers,
      topic,
      signal,
    });
    assert.deepEqual(read, expectedInTopic(writes));
  }

  async function createTopic(
    prefix: string,
    partitionCount: number,
    configs: readonly (readonly [string, string])[] = [KEEP_FOREVER],
  ): Promise<string> {
    const name = uniqueTopicName(prefix);
    const outcome = await admin.createTopic({
      name,
      partitionCount,
      replicationFactor: 1,
      configs: new Map(configs),
    });
    assert.notEqual(outcome, 'already-exists');
    createdTopics.push(name);
    return name;
  }

  describe('admin', () => {
    test('creates a topic with its configs and tells which configs were set on the topic', async () => {
      const topic = await createTopic('admin-create', 3, [
        ['retention.ms', '86400000'],
        ['cleanup.policy', 'compact'],
        ['max.message.bytes', '2000000'],
      ]);
      const description = await admin.describeTopic(topic);
      assert.deepEqual(
        description.partitions.map((partition) => [partition.partition, partition.replicas.length]),
        [
          [0, 1],
          [1, 1],
          [2, 1],
        ],
      );
      const setOnTopic = description.configs.filter((entry) => entry.source === 'topic');
      assert.deepEqual(Object.fromEntries(setOnTopic.map((entry) => [entry.name, entry.value])), {
        'cleanup.policy': 'compact',
        'max.message.bytes': '2000000',
        'retention.ms': '86400000',
      });
      const segmentBytes = description.configs.find((entry) => entry.name === 'segment.bytes');
      assert.ok(segmentBytes, 'inherited configs are listed too');
      assert.notEqual(segmentBytes.source, 'topic');

      assert.ok(
        (await admin.listTopics()).some((entry) => entry.name === topic && entry.partitionCount === 3),
      );
      assert.equal(await admin.brokerCount(), 1);
    });

    test('resolves already-exists for a topic that exists, so two hosts can both create it', async () => {
      const topic = await createTopic('admin-twice', 1);
      assert.equal(
        await admin.createTopic({
          name: topic,
          partitionCount: 1,
          replicationFactor: 1,
          configs: new Map(),
        }),
        'already-exists',
      );
    });

    test('adds partitions and refuses to remove any', async () => {
      const topic = await createTopic('admin-partitions', 2);
      await admin.createPartitions(topic, 5);
      assert.equal((await admin.describeTopic(topic)).partitions.length, 5);
      await assert.rejects(admin.createPartitions(topic, 3), InvalidRequest);
    });

    test('alters topic configs incrementally: a removed key goes back to its default', async () => {
      const topic = await createTopic('admin-configs', 1, [['retention.ms', '86400000']]);
      await admin.alterTopicConfigs(topic, {
        set: new Map([['segment.ms', '3600000']]),
        remove: ['retention.ms'],
      });
      const configs = new Map((await admin.describeTopic(topic)).configs.map((entry) => [entry.name, entry]));
      assert.equal(configs.get('segment.ms')?.source, 'topic');
      assert.equal(configs.get('segment.ms')?.value, '3600000');
      assert.notEqual(configs.get('retention.ms')?.source, 'topic');
      assert.equal(configs.get('retention.ms')?.value, '604800000');
    });

    test('rejects an unknown config and a replication factor above the broker count as invalid', async () => {
      const name = uniqueTopicName('admin-invalid');
      await assert.rejects(
        admin.createTopic({
          name,
          partitionCount: 1,
          replicationFactor: 1,
          configs: new Map([['retention.ms', 'forever']]),
        }),
        InvalidRequest,
      );
      await assert.rejects(
        admin.createTopic({ name, partitionCount: 1, replicationFactor: 3, configs: new Map() }),
        InvalidRequest,
      );
      assert.ok(!(await admin.listTopics()).some((entry) => entry.name === name));
    });

    test('reports a topic that does not exist as TopicNotFound', async () => {
      await assert.rejects(admin.describeTopic(uniqueTopicName('admin-missing')), TopicNotFound);
    });

    test('describes the configs of many topics in one call; a deleted one is left out, the others still described', async () => {
      const kept = await createTopic('admin-batch-kept', 1, [['retention.ms', '86400000']]);
      const doomed = await createTopic('admin-batch-doomed', 1);
      const described = await admin.describeTopicConfigs([kept, doomed]);
      assert.deepEqual([...described.keys()].sort(), [kept, doomed].sort());
      const retention = described.get(kept)?.find((entry) => entry.name === 'retention.ms');
      assert.deepEqual([retention?.value, retention?.source], ['86400000', 'topic']);
      // Offsets make the admin keep the topic in its metadata; someone else deletes it.
      await admin.partitionOffsets(doomed);
      await withAdmin(cluster.brokers, (other) => other.deleteTopics({ topics: [doomed] }));
      createdTopics.splice(createdTopics.indexOf(doomed), 1);
      assert.deepEqual([...(await admin.describeTopicConfigs([kept, doomed])).keys()], [kept]);
      assert.equal((await admin.describeTopic(kept)).name, kept);
    });

    test('deletes a topic', async () => {
      const topic = await createTopic('admin-delete', 1);
      await admin.deleteTopic(topic);
      createdTopics.splice(createdTopics.indexOf(topic), 1);
      // The brokers learn of the deletion from the metadata log a moment after the controller answered.
      const deadline = Date.now() + 10_000;
      while ((await admin.listTopics()).some((entry) => entry.name === topic)) {
        assert.ok(Date.now() < deadline, `${topic} still listed 10 s after its deletion`);
        await sleep(100);
      }
    });
  });

  describe('sink', () => {
    test("writes every record exactly, to the partition given, as Kafka's Java consumer reads it", async (t) => {
      const topic = await createTopic('sink-exact', 3);
      const sink = port.createSink();
      const writes = new Map([
        [0, TRICKY_RECORDS],
        [2, [...TRICKY_RECORDS].reverse()],
      ]);
      for (const [partition, records] of writes) await sink.write(topic, partition, records);
      await sink.close();

      await assertJavaConsumerReads(topic, writes, t.signal);
      assert.deepEqual(
        (await admin.partitionOffsets(topic)).map(({ partition, earliest, latest }) => [
          partition,
          earliest,
          latest,
        ]),
        [
          [0, 0n, 5n],
          [1, 0n, 0n],
          [2, 0n, 5n],
        ],
      );
    });

    test('splits a large write into several requests without changing the order', async (t) => {
      const topic = await createTopic('sink-split', 1);
      const sink = port.createSink({ maxRequestBytes: 64 * 1024 });
      const records = Array.from({ length: 120 }, (_, index) => ({
        key: Buffer.from(`key-${index}`),
        value: Buffer.alloc(5000, index % 256),
        headers: [header('index', String(index))],
        timestampMs: 1_700_000_000_000 + index,
      }));
      await sink.write(topic, 0, records);
      await sink.close();
      await assertJavaConsumerReads(topic, new Map([[0, records]]), t.signal);
    });

    test('sends a write of many requests several at a time; a refused one, and those behind it, go again in order', async (t) => {
      // Requests of 64 KiB (21 records), zstd: of zeros they are small, of random bytes too large for the topic,
      // and go again in requests of half the size. A partition new to the producer gets its first request alone
      // (the broker would store a later one before it), then the others go up to five at a time: when the sixth
      // is refused, the broker refuses those behind it as out of sequence, and they go again after it.
      const cases = [
        { refused: 'the sixth request', from: 105, sizes: [21, 21, 21, 21, 21, 10, 10, 1, 21, 21, 21, 11] },
        { refused: 'the first request', from: 0, sizes: [10, 10, 1, 21, 21, 21, 21, 21, 21, 21, 21, 11] },
      ];
      for (const { refused, from, sizes } of cases) {
        const topic = await createTopic('sink-pipelined', 1, [KEEP_FOREVER, ['max.message.bytes', '40000']]);
        const sink = port.createSink({ maxRequestBytes: 64 * 1024, compression: 'zstd' });
        const records = Array.from({ length: 200 }, (_, index) => ({
          key: Buffer.from(`key-${index}`),
          value: index >= from && index < from + 21 ? randomBytes(3000) : Buffer.alloc(3000, index % 256),
          headers: [header('index', String(index))],
          timestampMs: 1_700_000_000_000 + index,
        }));
        const ranges = await sink.write(topic, 0, records);
        await sink.close();
        assert.deepEqual(
          ranges.map((range) => range.recordCount),
          sizes,
          refused,
        );
        let next = 0n;
        for (const range of ranges) {
          assert.equal(range.firstOffset, next, refused);
          next += BigInt(range.recordCount);
        }
        assert.equal(next, 200n, refused);
        await assertJavaConsumerReads(topic, new Map([[0, records]]), t.signal);
      }
    });

    test('writes many partitions at once, several to a request, each batch stored or refused on its own', async (t) => {
      const partitions = 24;
      const topic = await createTopic('sink-many', partitions);
      const small = await createTopic('sink-many-small', 1, [KEEP_FOREVER, ['max.message.bytes', '2048']]);
      const sink = port.createSink();
      // Partition p gets 1 + p records in the first round: every partition's answer in the second has an
      // offset of its own.
      const recordsOf = (partition: number, round: number): RecordToWrite[] =>
        Array.from({ length: round === 0 ? 1 + partition : 1 }, (_, index) => ({
          key: Buffer.from(`partition-${partition}`),
          value: Buffer.from(`round ${round}, record ${index} of partition ${partition}`),
          headers: [header('round', String(round))],
          timestampMs: 1_700_000_000_000 + partition,
        }));
      // Random bytes do not compress: too large for `small` however it is sent.
      const tooLarge = { key: null, value: randomBytes(8192), headers: [], timestampMs: 5 };
      for (const round of [0, 1]) {
        // Three connections, more than five partitions each: most batches wait and leave several to a request.
        const writes = Array.from({ length: partitions }, (_, partition) =>
          sink.write(topic, partition, recordsOf(partition, round)),
        );
        const refused = sink.write(small, 0, [tooLarge]);
        const offsets = (await Promise.all(writes)).map((ranges) => ranges.map((range) => range.firstOffset));
        assert.deepEqual(
          offsets,
          Array.from({ length: partitions }, (_, partition) => [round === 0 ? 0n : BigInt(1 + partition)]),
        );
        await assert.rejects(refused, RecordTooLarge);
      }
      await sink.close();
      const expected = Array.from({ length: partitions }, (_, partition) =>
        [...recordsOf(partition, 0), ...recordsOf(partition, 1)].map((record, offset) => ({
          partition,
          offset: BigInt(offset),
          ...record,
        })),
      ).flat();
      const read = await readWithSource(port, topic, expected.length, t.signal);
      assert.deepEqual(
        read.map(({ partition, offset, key, value, headers, timestampMs }) => ({
          partition,
          offset,
          key,
          value,
          headers,
          timestampMs,
        })),
        expected,
      );
      assert.deepEqual(
        (await admin.partitionOffsets(small)).map(({ latest }) => latest),
        [0n],
      );
    });

    test('writes with every codec Kafka supports', async (t) => {
      const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
      const topic = await createTopic('sink-codecs', codecs.length);
      const writes = new Map<number, readonly RecordToWrite[]>();
      for (const [partition, compression] of codecs.entries()) {
        const sink = port.createSink({ compression });
        const records = [
          ...TRICKY_RECORDS,
          { key: null, value: Buffer.from(`${compression} `.repeat(2000)), headers: [], timestampMs: 5 },
        ];
        await sink.write(topic, partition, records);
        await sink.close();
        writes.set(partition, records);
      }
      await assertJavaConsumerReads(topic, writes, t.signal);
    });

    test('writes to a partition added after its first write; a partition the topic lacks is an error, never a silent drop', async (t) => {
      const topic = await createTopic('sink-new-partition', 2);
      const sink = port.createSink();
      const [first, second] = TRICKY_RECORDS;
      await sink.write(topic, 0, [first!]); // the sink's client now knows the topic as 2 partitions
      await admin.createPartitions(topic, 4);
      await sink.write(topic, 3, [second!]);
      await assert.rejects(sink.write(topic, 7, [second!]), PartitionNotFound);
      await sink.close();
      const read = await readWithJavaConsumer({
        version: target.toolsVersion,
        brokers: cluster.brokers,
        topic,
        signal: t.signal,
      });
      assert.deepEqual(
        read,
        expectedInTopic(
          new Map([
            [0, [first!]],
            [3, [second!]],
          ]),
        ),
      );
    });

    test('never creates a topic: writing to a missing one fails with TopicNotFound', async () => {
      const missing = uniqueTopicName('sink-missing');
      const sink = port.createSink();
      await assert.rejects(sink.write(missing, 0, TRICKY_RECORDS), TopicNotFound);
      await sink.close();
      assert.ok(!(await admin.listTopics()).some((entry) => entry.name === missing));
    });
  });

  describe('source', () => {
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      test(`reads what Kafka's Java producer wrote (${codec}-compressed) byte for byte`, async (t) => {
        const topic = await createTopic(`source-java-${codec}`, 2);
        const written = [
          ...TRICKY_RECORDS.map((record) => ({ ...record, partition: 1 })),
          ...TRICKY_RECORDS.slice(0, 3).map((record) => ({ ...record, partition: 0 })),
        ];
        await writeWithJavaProducer({
          version: target.toolsVersion,
          brokers: cluster.brokers,
          topic,
          compression: codec,
          records: written,
          signal: t.signal,
        });
        const read = await readWithSource(port, topic, written.length, t.signal);
        assert.deepEqual(
          read.map((record) => record.compression),
          read.map(() => codec),
          'each record says the codec of the batch it came in (compression: origin writes it alike)',
        );
        assert.deepEqual(
          withoutBatchDetails(read),
          expectedInTopic(
            new Map([
              [0, TRICKY_RECORDS.slice(0, 3)],
              [1, TRICKY_RECORDS],
            ]),
          ),
        );
      });
    }

    test('reads back what the sink wrote, unchanged', async (t) => {
      const topic = await createTopic('source-roundtrip', 1);
      const sink = port.createSink({ compression: 'lz4' });
      await sink.write(topic, 0, TRICKY_RECORDS);
      await sink.close();
      const read = await readWithSource(port, topic, TRICKY_RECORDS.length, t.signal);
      assert.deepEqual(
        read.map((record) => record.compression),
        read.map(() => 'lz4'),
      );
      assert.deepEqual(withoutBatchDetails(read), expectedInTopic(new Map([[0, TRICKY_RECORDS]])));
    });

    test('reports the timestamp type: LogAppendTime records carry the broker time', async (t) => {
      const topic = await createTopic('source-append-time', 1, [['message.timestamp.type', 'LogAppendTime']]);
      const before = Date.now();
      const sink = port.createSink();
      await sink.write(topic, 0, [{ key: null, value: Buffer.from('x'), headers: [], timestampMs: 5 }]);
      await sink.close();
      const [record] = await readWithSource(port, topic, 1, t.signal);
      assert.equal(record?.timestampType, 'log-append-time');
      assert.ok(
        record.timestampMs >= before - 1000,
        `broker time ${record.timestampMs}, test began ${before}`,
      );
      const [javaRecord] = await readWithJavaConsumer({
        version: target.toolsVersion,
        brokers: cluster.brokers,
        topic,
        signal: t.signal,
      });
      assert.deepEqual(
        [javaRecord?.timestampType, javaRecord?.timestampMs],
        [record.timestampType, record.timestampMs],
      );
    });

    test('reads committed transactions only (read_committed): aborted records are never delivered', async (t) => {
      const topic = await createTopic('source-transactions', 1);
      const writer = recordWriter(cluster.brokers, { transactionalId: uniqueTopicName('port-test-tx') });
      const send = (values: string[], outcome: 'commit' | 'abort') =>
        writer.sendInTransaction(
          topic,
          values.map((value) => ({ partition: 0, value })),
          outcome,
        );
      await send(['committed-1', 'committed-2'], 'commit');
      await send(['aborted-1', 'aborted-2', 'aborted-3'], 'abort');
      await send(['committed-3'], 'commit');
      await writer.close();

      const read = await readWithSource(port, topic, 3, t.signal);
      assert.deepEqual(
        read.map((record) => record.value?.toString()),
        ['committed-1', 'committed-2', 'committed-3'],
      );
      const java = await readWithJavaConsumer({
        version: target.toolsVersion,
        brokers: cluster.brokers,
        topic,
        signal: t.signal,
      });
      assert.deepEqual(
        java.map((record) => [record.offset, record.value?.toString()]),
        read.map((record) => [record.offset, record.value?.toString()]),
      );
    });
  });
});
