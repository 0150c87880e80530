// Every codec Kafka supports, both ways, on every supported Kafka version: records that Kafka's own Java
// producer compressed are read by kafkajs through the project's client setup, and records kafkajs
// compressed — or georep's sink (the adapter GEOREP_KAFKA_CLIENT chooses) — are read by Kafka's own Java
// consumer — count and content, record for record. On local clusters, DumpLogSegments shows that the stored
// batches really carry the codec.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { type Admin, CompressionTypes, type Kafka, logLevel, Partitioners } from 'kafkajs';
import { kafkaTestTargets, type TestCluster } from '../../harness/test-clusters.js';
import { createKafkajsClient } from '../../src/kafka/kafkajs-setup.js';
import type { RecordToWrite } from '../../src/kafka/port.js';
import {
  batchesInLog,
  type CompressionCodecName,
  consumeWithConsoleConsumer,
  consumeWithKafkajs,
  produceWithConsoleProducer,
  sampleRecords,
  type TextRecord,
  uniqueTopicName,
} from './support/kafka-records.js';
import { portOn } from './support/port-clusters.js';

const CODECS: ReadonlyArray<{ name: CompressionCodecName; kafkajsType: CompressionTypes }> = [
  { name: 'gzip', kafkajsType: CompressionTypes.GZIP },
  { name: 'snappy', kafkajsType: CompressionTypes.Snappy },
  { name: 'lz4', kafkajsType: CompressionTypes.LZ4 },
  { name: 'zstd', kafkajsType: CompressionTypes.ZSTD },
];
/** Enough for several batches, some larger than one 64 KiB lz4 block or 32 KiB snappy block. */
const RECORD_COUNT = 600;
const KAFKAJS_RECORDS_PER_SEND = 250;
/** Small enough that one sink write of RECORD_COUNT records takes several produce requests. */
const SINK_MAX_REQUEST_BYTES = 64 * 1024;
const TEST_TIMEOUT_MS = 120_000;

function assertSameRecords(actual: readonly TextRecord[], expected: readonly TextRecord[]): void {
  assert.equal(actual.length, expected.length, 'number of records read');
  const firstDifference = expected.findIndex((record, index) => !isDeepStrictEqual(actual[index], record));
  if (firstDifference !== -1) {
    assert.deepEqual(
      actual[firstDifference],
      expected[firstDifference],
      `record at offset ${firstDifference}`,
    );
  }
}

function toRecordToWrite(record: TextRecord): RecordToWrite {
  const bytes = (text: string | null) => (text === null ? null : Buffer.from(text));
  return {
    key: bytes(record.key),
    value: bytes(record.value),
    headers: Object.entries(record.headers).map(([key, value]) => ({ key, value: Buffer.from(value) })),
    timestampMs: Date.now(),
  };
}

const targets = kafkaTestTargets({ clusters: 1 });

// Local clusters of every version start together, once for the whole file.
before(async (context) => {
  await Promise.all(
    targets.filter((target) => !target.skipReason).map((target) => target.start(context.signal)),
  );
});
after(async () => {
  await Promise.all(targets.map((target) => target.stop()));
});

for (const target of targets) {
  describe(target.label, { skip: target.skipReason }, () => {
    let cluster: TestCluster;
    let kafka: Kafka;
    let admin: Admin;
    const createdTopics: string[] = [];

    before(async () => {
      cluster = target.clusters()[0]!;
      kafka = createKafkajsClient({
        clientId: 'georep-codec-test',
        brokers: cluster.brokers,
        logLevel: logLevel.WARN,
      });
      admin = kafka.admin();
      await admin.connect();
    });
    after(async () => {
      if (createdTopics.length > 0) await admin?.deleteTopics({ topics: createdTopics });
      await admin?.disconnect();
    });

    async function createTopic(prefix: string): Promise<string> {
      const topic = uniqueTopicName(prefix);
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      createdTopics.push(topic);
      return topic;
    }

    /** On a local cluster, checks that every stored batch of the topic is compressed with `codec`. */
    async function assertStoredBatchesUse(
      topic: string,
      codec: CompressionCodecName,
      signal: AbortSignal,
    ): Promise<void> {
      if (!cluster.local) return;
      const batches = await batchesInLog({
        version: target.toolsVersion,
        dataDir: cluster.local.dataDir,
        topic,
        signal,
      });
      assert.ok(batches.length > 1, `several batches expected, found ${batches.length}`);
      assert.deepEqual(
        [...new Set(batches.map((batch) => batch.compression))],
        [codec],
        'compression of the stored batches',
      );
      assert.equal(
        batches.reduce((sum, batch) => sum + batch.recordCount, 0),
        RECORD_COUNT,
        'records in the stored batches',
      );
    }

    /** Kafka's console consumer reads exactly `written` from `topic`, stored in batches compressed with `codec`. */
    async function assertJavaReadsCompressed(
      topic: string,
      codec: CompressionCodecName,
      written: readonly TextRecord[],
      signal: AbortSignal,
    ): Promise<void> {
      await assertStoredBatchesUse(topic, codec, signal);
      const read = await consumeWithConsoleConsumer({
        version: target.toolsVersion,
        brokers: cluster.brokers,
        topic,
        count: RECORD_COUNT,
        signal,
      });
      assertSameRecords(read, written);
    }

    for (const codec of CODECS) {
      test(`${target.label}: kafkajs reads every ${codec.name} record that Kafka's console producer wrote`, {
        timeout: TEST_TIMEOUT_MS,
      }, async (context) => {
        const topic = await createTopic(`codec-${codec.name}-from-java`);
        const written = sampleRecords(RECORD_COUNT, `java-${codec.name}`);
        await produceWithConsoleProducer({
          version: target.toolsVersion,
          brokers: cluster.brokers,
          topic,
          records: written,
          compression: codec.name,
          producerProperties: { 'batch.size': String(256 * 1024), 'linger.ms': '100' },
          signal: context.signal,
        });
        await assertStoredBatchesUse(topic, codec.name, context.signal);

        const read = await consumeWithKafkajs(kafka, topic, RECORD_COUNT, context.signal);
        assertSameRecords(read, written);
      });

      test(`${target.label}: Kafka's console consumer reads every ${codec.name} record that kafkajs wrote`, {
        timeout: TEST_TIMEOUT_MS,
      }, async (context) => {
        const topic = await createTopic(`codec-${codec.name}-from-kafkajs`);
        const written = sampleRecords(RECORD_COUNT, `kafkajs-${codec.name}`);
        const producer = kafka.producer({
          allowAutoTopicCreation: false,
          createPartitioner: Partitioners.DefaultPartitioner,
        });
        await producer.connect();
        try {
          for (let start = 0; start < written.length; start += KAFKAJS_RECORDS_PER_SEND) {
            await producer.send({
              topic,
              compression: codec.kafkajsType,
              messages: written.slice(start, start + KAFKAJS_RECORDS_PER_SEND),
            });
          }
        } finally {
          await producer.disconnect();
        }
        await assertJavaReadsCompressed(topic, codec.name, written, context.signal);
      });
    }

    for (const codec of CODECS) {
      test(`${target.label}: Kafka's console consumer reads every ${codec.name} record that georep's sink wrote`, {
        timeout: TEST_TIMEOUT_MS,
      }, async (context) => {
        const topic = await createTopic(`codec-${codec.name}-from-sink`);
        const written = sampleRecords(RECORD_COUNT, `sink-${codec.name}`);
        const sink = portOn(cluster).createSink({
          compression: codec.name,
          maxRequestBytes: SINK_MAX_REQUEST_BYTES,
        });
        try {
          await sink.write(topic, 0, written.map(toRecordToWrite));
        } finally {
          await sink.close();
        }
        await assertJavaReadsCompressed(topic, codec.name, written, context.signal);
      });
    }

    test(`${target.label}: kafkajs reads back what it wrote, null keys, null values and empty values included`, {
      timeout: TEST_TIMEOUT_MS,
    }, async (context) => {
      const topic = await createTopic('kafkajs-round-trip');
      const written: TextRecord[] = [
        { key: null, value: 'a record without a key', headers: {} },
        { key: 'deleted-entity', value: null, headers: { reason: 'tombstone' } },
        { key: 'empty', value: '', headers: {} },
        { key: 'unicode', value: 'Zürich → München ✓', headers: { city: 'Genève' } },
      ];
      const producer = kafka.producer({
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      try {
        await producer.send({ topic, messages: written });
      } finally {
        await producer.disconnect();
      }
      const read = await consumeWithKafkajs(kafka, topic, written.length, context.signal);
      assertSameRecords(read, written);
    });
  });
}
