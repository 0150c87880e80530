// The tools' own Kafka clients (harness/kafka-writer.ts, kafka-reader.ts) against Kafka's Java client: what
// they write is what Java reads, in every codec, and what Java writes is what they read — null and empty keys
// and values, headers in order with repeats and null values, timestamps, partitions. Tests trust these
// clients to show what a topic holds; a client that changed records on the way would hide what georep did.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTopics, withAdmin } from '../../harness/kafka-client.js';
import { type ReadRecord, readTopicToEnd } from '../../harness/kafka-reader.js';
import { type RecordToWrite, recordWriter } from '../../harness/kafka-writer.js';
import { kafkaTestTargets } from '../../harness/test-clusters.js';
import type { RecordHeader } from '../../src/kafka/port.js';
import { readWithJavaConsumer, writeWithJavaProducer } from './support/java-records.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { KEEP_FOREVER, TRICKY_RECORDS } from './support/tricky-records.js';

const PARTITIONS = 2;
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const TEST_TIMEOUT_MS = 300_000;

/** The tricky records, spread over the partitions. */
const written = TRICKY_RECORDS.map((record, index) => ({ ...record, partition: index % PARTITIONS }));

/** A record as both sides are compared: bytes as hex, null kept apart from empty. */
function comparable(record: {
  partition: number;
  timestampMs: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: readonly RecordHeader[];
}) {
  const hex = (bytes: Buffer | null) => (bytes === null ? null : bytes.toString('hex'));
  return {
    partition: record.partition,
    timestampMs: record.timestampMs,
    key: hex(record.key),
    value: hex(record.value),
    headers: record.headers.map((header) => [header.key, hex(header.value)]),
  };
}

const byPartition = <T extends { partition: number }>(records: readonly T[]) =>
  [...records].sort((a, b) => a.partition - b.partition);

function toolRecord(record: (typeof written)[number]): RecordToWrite {
  return {
    key: record.key,
    value: record.value,
    headers: record.headers.map((header) => [header.key, header.value] as const),
    timestampMs: record.timestampMs,
    partition: record.partition,
  };
}

function fromToolRead(record: ReadRecord) {
  return comparable({
    partition: record.partition,
    timestampMs: Number(record.timestampMs),
    key: record.key,
    value: record.value,
    headers: record.headers.map(([key, value]) => ({ key, value })),
  });
}

for (const target of kafkaTestTargets({ clusters: 1 })) {
  describe(`${target.label}: the tools' Kafka clients and Kafka's Java client agree`, {
    skip: target.skipReason,
  }, () => {
    let brokers: readonly string[];
    const created: string[] = [];

    before(async (context) => {
      await target.start(context.signal);
      brokers = target.clusters()[0]!.brokers;
    });
    after(async () => {
      if (created.length > 0)
        await withAdmin(brokers, (admin) => admin.deleteTopics({ topics: created })).catch(() => undefined);
      await target.stop();
    });

    async function newTopic(prefix: string): Promise<string> {
      const topic = uniqueTopicName(prefix);
      await withAdmin(brokers, (admin) =>
        createTopics(admin, [{ topic, partitions: PARTITIONS, configs: Object.fromEntries([KEEP_FOREVER]) }]),
      );
      created.push(topic);
      return topic;
    }

    test('what the record writer writes, in every codec, Java reads unchanged', {
      timeout: TEST_TIMEOUT_MS,
    }, async (context) => {
      for (const compression of CODECS) {
        const topic = await newTopic(`tools-write-${compression}`);
        const writer = recordWriter(brokers, { compression });
        try {
          await writer.send(topic, written.map(toolRecord));
        } finally {
          await writer.close();
        }
        const read = await readWithJavaConsumer({
          version: target.toolsVersion,
          brokers,
          topic,
          signal: context.signal,
        });
        assert.deepEqual(
          read.map((record) => record.timestampType),
          read.map(() => 'create-time'),
        );
        assert.deepEqual(read.map(comparable), byPartition(written).map(comparable), compression);
      }
    });

    test('what Java writes, the reader reads unchanged', { timeout: TEST_TIMEOUT_MS }, async (context) => {
      const topic = await newTopic('tools-read');
      await writeWithJavaProducer({
        version: target.toolsVersion,
        brokers,
        topic,
        compression: 'zstd',
        records: written,
        signal: context.signal,
      });
      const read: ReadRecord[] = [];
      await readTopicToEnd({
        brokers,
        topic,
        signal: context.signal,
        onRecord: (record) => read.push(record),
      });
      assert.deepEqual(byPartition(read).map(fromToolRead), byPartition(written).map(comparable));
    });
  });
}
