// Every codec Kafka supports, both ways, on every supported Kafka version: records that Kafka's own Java
// producer compressed are read by @platformatic/kafka's consumer (the tools' reader, harness/kafka-reader.ts),
// and records that @platformatic/kafka's producer (the tools' writer) or georep's sink compressed are read by
// Kafka's own Java consumer — count and content, record for record. On local clusters, DumpLogSegments
// shows that the stored batches really carry the codec.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { createTopics, withAdmin } from '../../harness/kafka-client.js';
import type { TestCluster } from '../../harness/test-clusters.js';
import type { RecordToWrite } from '../../src/kafka/port.js';
import { describeOnEveryVersion } from './support/every-version.js';
import {
  batchesInLog,
  type CompressionCodecName,
  consumeWithConsoleConsumer,
  produceWithConsoleProducer,
  readWithToolReader,
  sampleRecords,
  type TextRecord,
  uniqueTopicName,
  writeWithToolWriter,
} from './support/kafka-records.js';
import { portOn } from './support/port-clusters.js';

const CODECS: readonly CompressionCodecName[] = ['gzip', 'snappy', 'lz4', 'zstd'];
/** Enough for several batches, some larger than one 64 KiB lz4 block or 32 KiB snappy block. */
const RECORD_COUNT = 600;
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
    headers: Object.entries(record.headers).map(([key, value]) => ({
      key: Buffer.from(key),
      value: Buffer.from(value),
    })),
    timestampMs: Date.now(),
  };
}

describeOnEveryVersion({}, (target) => {
  let cluster: TestCluster;
  const createdTopics: string[] = [];

  before(() => {
    cluster = target.clusters()[0]!;
  });
  after(async () => {
    if (createdTopics.length > 0)
      await withAdmin(cluster.brokers, (admin) => admin.deleteTopics({ topics: createdTopics }));
  });

  async function createTopic(prefix: string): Promise<string> {
    const topic = uniqueTopicName(prefix);
    await withAdmin(cluster.brokers, (admin) => createTopics(admin, [{ topic, partitions: 1 }]));
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
    test(`${target.label}: @platformatic/kafka reads every ${codec} record that Kafka's console producer wrote`, {
      timeout: TEST_TIMEOUT_MS,
    }, async (context) => {
      const topic = await createTopic(`codec-${codec}-from-java`);
      const written = sampleRecords(RECORD_COUNT, `java-${codec}`);
      await produceWithConsoleProducer({
        version: target.toolsVersion,
        brokers: cluster.brokers,
        topic,
        records: written,
        compression: codec,
        producerProperties: { 'batch.size': String(256 * 1024), 'linger.ms': '100' },
        signal: context.signal,
      });
      await assertStoredBatchesUse(topic, codec, context.signal);

      assertSameRecords(await readWithToolReader(cluster.brokers, topic, context.signal), written);
    });

    test(`${target.label}: Kafka's console consumer reads every ${codec} record that @platformatic/kafka wrote`, {
      timeout: TEST_TIMEOUT_MS,
    }, async (context) => {
      const topic = await createTopic(`codec-${codec}-from-platformatic`);
      const written = sampleRecords(RECORD_COUNT, `platformatic-${codec}`);
      await writeWithToolWriter(cluster.brokers, topic, written, { compression: codec });
      await assertJavaReadsCompressed(topic, codec, written, context.signal);
    });
  }

  for (const codec of CODECS) {
    test(`${target.label}: Kafka's console consumer reads every ${codec} record that georep's sink wrote`, {
      timeout: TEST_TIMEOUT_MS,
    }, async (context) => {
      const topic = await createTopic(`codec-${codec}-from-sink`);
      const written = sampleRecords(RECORD_COUNT, `sink-${codec}`);
      const sink = portOn(cluster).createSink({
        compression: codec,
        maxRequestBytes: SINK_MAX_REQUEST_BYTES,
      });
      try {
        await sink.write(topic, 0, written.map(toRecordToWrite));
      } finally {
        await sink.close();
      }
      await assertJavaReadsCompressed(topic, codec, written, context.signal);
    });
  }
});
