// `compression` on a real pair of clusters: what georep writes carries the configured codec, as the
// destination broker stores it (Kafka's DumpLogSegments), and the records are byte for byte the origin's
// (read back with Kafka's own Java consumer on both sides).
//
// Kafka's Java producer writes three origin topics: `plain` (uncompressed, the tricky records and more),
// `mixed` (its first records zstd, the rest lz4) and `json` (JSON events, zstd). One daemon runs a replication
// per codec that copies `plain` into `plain.<codec>`, and with the default `origin` copies `mixed` and `json`
// as they came; one more copies `json` uncompressed, to show what `origin` saves.
//
// With `origin`, an origin batch whose records all go to the destination unchanged (and that holds a quarter
// of a produce request or more) is forwarded as it came, its compressed records untouched
// (georep_destination_batches_written_total{path="forwarded"}); others are encoded again. `json` and
// `mid-batch` are written in batches of up to 256 KiB (batch.size), as a tuned producer writes; `mid-batch`
// (zstd) is copied from an offset inside a batch, whose records before it are not copied, and `transactions`
// (zstd, written by a transactional producer) holds an aborted transaction between committed ones.
//
// `small` has max.message.bytes of 64 KiB (copied to its destination topics), below georep's 512 KiB requests,
// and random values: a refused request goes again in smaller ones, uncompressed, in and out of transactions.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import { runKafkaTool } from '../../harness/kafka-tools.js';
import type { CompressionSetting } from '../../src/config/types.js';
import { GeorepProcess } from './support/georep-process.js';
import { type JavaRecord, readWithJavaConsumer, writeWithJavaProducer } from './support/java-records.js';
import { type BatchSummary, batchesInLog } from './support/kafka-records.js';
import { sampleValue } from './support/metrics-text.js';
import { createTopics, endOffsets } from './support/sequence-records.js';
import { KEEP_FOREVER, TRICKY_RECORDS } from './support/tricky-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const NAMED_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const PLAIN_RECORDS = 500;
const JSON_EVENTS = 6000;
const CATCH_UP_TIMEOUT_MS = 180_000;

const run = new TwoClusterRun('compression');
const prefix = `compression-${Date.now().toString(36)}`;
const topics = {
  plain: `${prefix}.plain`,
  mixed: `${prefix}.mixed`,
  json: `${prefix}.json`,
  midBatch: `${prefix}.mid-batch`,
  transactions: `${prefix}.transactions`,
  small: `${prefix}.small`,
};
/** max.message.bytes of `small`, on the origin and so on its copies. */
const SMALL_MAX_MESSAGE_BYTES = 64 * 1024;
const SMALL_RECORDS = 400;
let daemon: GeorepProcess;
let origin: Map<string, JavaRecord[]>;
/** batch.size of the producer of `json` and `mid-batch`: a tuned producer's, as in the benchmark. */
const TUNED_BATCH_BYTES = 256 * 1024;
/** Where the copy of `mid-batch` starts: the second record of a batch of the origin's. */
let midBatchStart = 1n;
/** Records per transaction of `transactions`: committed, aborted, committed. */
const TRANSACTION_RECORDS = 40;

/** Uncompressed origin records: the tricky ones first, then keyed text with headers. */
function plainRecords() {
  const extra = Array.from({ length: PLAIN_RECORDS - TRICKY_RECORDS.length }, (_, index) => ({
    key: index % 7 === 0 ? null : Buffer.from(`key-${index % 50}`),
    value: Buffer.from(`value ${index} `.repeat(1 + (index % 20))),
    headers: [{ key: Buffer.from('n'), value: Buffer.from(String(index)) }],
    timestampMs: 1_700_000_000_000 + index,
  }));
  return [...TRICKY_RECORDS, ...extra].map((record) => ({ ...record, partition: 0 }));
}

/** JSON events like an application's, of a few hundred bytes each: compressible as real ones are. */
function jsonEvents(count: number, from: number) {
  return Array.from({ length: count }, (_, offset) => {
    const index = from + offset;
    const event = {
      id: `evt-${index.toString().padStart(8, '0')}`,
      type: ['order.created', 'order.paid', 'order.shipped'][index % 3],
      customer: { id: `cust-${index % 997}`, country: ['DE', 'IE', 'GB', 'FR'][index % 4] },
      items: Array.from({ length: 1 + (index % 4) }, (_, item) => ({
        sku: `SKU-${(index * 7 + item) % 5000}`,
        quantity: 1 + (item % 3),
        priceCents: 199 + ((index * 31 + item) % 90_000),
      })),
      createdAt: new Date(1_700_000_000_000 + index * 1000).toISOString(),
    };
    return {
      partition: 0,
      timestampMs: 1_700_000_000_000 + index,
      key: Buffer.from(event.customer.id),
      value: Buffer.from(JSON.stringify(event)),
      headers: [],
    };
  });
}

/** The destination topic a replication with this compression writes for `originTopic`. */
function copyOf(originTopic: string, compression: CompressionSetting): string {
  return `${originTopic}.${compression}`;
}

function replication(compression: CompressionSetting, originTopics: readonly string[]): string[] {
  return [
    `  - name: ${compression}`,
    '    origin: origin',
    '    destinations: [destination]',
    `    topics: { include: [${originTopics.map((topic) => JSON.stringify(topic)).join(', ')}] }`,
    `    naming: "{topic}.${compression}"`,
    `    compression: ${compression}`,
  ];
}

/** What a copy must equal: everything but the offset (the same here, but not what the test is about). */
const content = (records: readonly JavaRecord[]) =>
  records.map(({ partition, timestampType, timestampMs, key, value, headers }) => ({
    partition,
    timestampType,
    timestampMs,
    key,
    value,
    headers,
  }));

/** Writes `transactions`, zstd: a committed transaction, an aborted one, a committed one (one batch each). */
async function writeTransactions(brokers: readonly string[]): Promise<void> {
  const producer = new Producer({
    clientId: `${prefix}-transactions`,
    bootstrapBrokers: [...brokers],
    transactionalId: `${prefix}-transactions`,
    idempotent: true,
    compression: 'zstd',
  });
  try {
    const events = jsonEvents(3 * TRANSACTION_RECORDS, 0);
    for (const [index, end] of ['commit', 'abort', 'commit'].entries()) {
      const transaction = await producer.beginTransaction();
      const messages = events
        .slice(index * TRANSACTION_RECORDS, (index + 1) * TRANSACTION_RECORDS)
        .map((event) => ({
          topic: topics.transactions,
          partition: 0,
          key: event.key,
          // About 5 KB each: a transaction's batch holds more than a quarter of a produce request.
          value: Buffer.from(`${end}:${event.value.toString()}`.padEnd(5000, '.')),
          timestamp: BigInt(event.timestampMs),
        }));
      await transaction.send({ messages });
      if (end === 'commit') await transaction.commit();
      else await transaction.abort();
    }
  } finally {
    await producer.close();
  }
}

/** The base offset of each batch of a log without gaps (no transaction markers): its counts summed. */
function baseOffsets(batches: readonly BatchSummary[]): bigint[] {
  let next = 0n;
  return batches.map((batch) => {
    const base = next;
    next += BigInt(batch.recordCount);
    return base;
  });
}

function segmentBytes(dataDir: string, topic: string): number {
  return statSync(path.join(dataDir, `${topic}-0`, '00000000000000000000.log')).size;
}

describe('compression of what georep writes', { skip: run.target.skipReason }, () => {
  before(
    async (context) => {
      const { signal } = context;
      await run.start(signal);
      const version = run.target.toolsVersion;
      const brokers = run.origin;
      await createTopics(
        brokers,
        Object.values(topics).map((topic) => ({
          topic,
          partitions: 1,
          configs: Object.fromEntries([
            KEEP_FOREVER,
            ...(topic === topics.small ? [['max.message.bytes', String(SMALL_MAX_MESSAGE_BYTES)]] : []),
          ]),
        })),
      );
      const mixed = jsonEvents(2000, 0);
      await Promise.all([
        writeWithJavaProducer({
          version,
          brokers,
          topic: topics.plain,
          compression: 'none',
          records: plainRecords(),
          signal,
        }),
        writeWithJavaProducer({
          version,
          brokers,
          topic: topics.json,
          compression: 'zstd',
          records: jsonEvents(JSON_EVENTS, 0),
          signal,
          batchBytes: TUNED_BATCH_BYTES,
        }),
      ]);
      await writeWithJavaProducer({
        version,
        brokers,
        topic: topics.midBatch,
        compression: 'zstd',
        records: jsonEvents(3 * JSON_EVENTS, 0),
        signal,
        batchBytes: TUNED_BATCH_BYTES,
      });
      await writeTransactions(brokers);
      await writeWithJavaProducer({
        version,
        brokers,
        topic: topics.small,
        compression: 'none',
        // 1000 random bytes each (incompressible), in Kafka's default batches of 16 KiB.
        records: Array.from({ length: SMALL_RECORDS }, (_, index) => ({
          partition: 0,
          timestampMs: 1_700_000_000_000 + index,
          key: Buffer.from(`small-${index}`),
          value: randomBytes(1000),
          headers: [],
        })),
        signal,
      });
      // The copy of mid-batch starts inside a batch: the consumer group of its flow is moved there, as an
      // operator moves it, and its destination topic exists (a flow with progress expects its copy).
      await createTopics(run.destination, [
        {
          topic: copyOf(topics.midBatch, 'origin'),
          partitions: 1,
          configs: Object.fromEntries([KEEP_FOREVER]),
        },
      ]);
      const originLocal = run.target.clusters()[0]?.local;
      if (originLocal !== undefined) {
        const batches = await batchesInLog({
          version,
          dataDir: originLocal.dataDir,
          topic: topics.midBatch,
          signal,
        });
        const bases = baseOffsets(batches);
        const inside = batches.findIndex((batch) => batch.recordCount > 1);
        assert.ok(inside >= 0, `a batch of more than one record in ${topics.midBatch}`);
        midBatchStart = bases[inside]! + 1n;
      }
      await runKafkaTool({
        version,
        tool: 'consumer-groups',
        args: [
          ...['--bootstrap-server', brokers.join(',')],
          ...['--group', `georep.origin.destination.${topics.midBatch}.${copyOf(topics.midBatch, 'origin')}`],
          ...['--topic', `${topics.midBatch}:0`, '--reset-offsets', '--to-offset', String(midBatchStart)],
          '--execute',
        ],
        signal,
      });
      // One after the other, so that the topic holds zstd batches, then lz4 ones.
      const half = mixed.length / 2;
      await writeWithJavaProducer({
        version,
        brokers,
        topic: topics.mixed,
        compression: 'zstd',
        records: mixed.slice(0, half),
        signal,
      });
      await writeWithJavaProducer({
        version,
        brokers,
        topic: topics.mixed,
        compression: 'lz4',
        records: mixed.slice(half),
        signal,
      });

      const configFile = path.join(run.workDir, 'geo-replication.yaml');
      writeFileSync(
        configFile,
        [
          'clusters:',
          `  origin: { bootstrap: [${JSON.stringify(run.origin.join(','))}] }`,
          `  destination: { bootstrap: [${JSON.stringify(run.destination.join(','))}] }`,
          'replications:',
          ...NAMED_CODECS.filter((codec) => codec !== 'none').flatMap((codec) =>
            replication(codec, [topics.plain]),
          ),
          ...replication('none', [topics.plain, topics.json, topics.small]),
          ...replication('origin', [
            topics.mixed,
            topics.json,
            topics.midBatch,
            topics.transactions,
            topics.small,
          ]),
          // Exactly-once: the forwarded batches go in the destination's transactions.
          '  - name: eos',
          '    origin: origin',
          '    destinations: [destination]',
          `    topics: { include: [${JSON.stringify(topics.json)}, ${JSON.stringify(topics.small)}] }`,
          '    naming: "{topic}.eos"',
          '    delivery: exactly-once',
          'daemon:',
          '  discoveryIntervalMs: 1000',
          '',
        ].join('\n'),
      );
      daemon = await GeorepProcess.start({ configFile, name: 'georep', logDir: run.workDir });
      const ends = new Map<string, string>();
      for (const topic of Object.values(topics)) {
        ends.set(topic, String((await endOffsets(brokers, topic)).get(0)));
      }
      await daemon.waitForStatus(
        (status) =>
          status.flows.length === NAMED_CODECS.length + 9 &&
          status.flows.every(
            (flow) => flow.state === 'running' && flow.partitions[0]?.position === ends.get(flow.originTopic),
          ),
        { what: 'every flow caught up', timeoutMs: CATCH_UP_TIMEOUT_MS, signal },
      );
      const read = async (topic: string) =>
        [topic, await readWithJavaConsumer({ version, brokers, topic, signal })] as const;
      origin = new Map(await Promise.all(Object.values(topics).map(read)));
    },
    { timeout: 400_000 },
  );
  after(() => run.finish());

  async function assertCopy(
    originTopic: string,
    compression: CompressionSetting,
    expectedCodecs: readonly string[],
    signal: AbortSignal,
  ) {
    const version = run.target.toolsVersion;
    const topic = copyOf(originTopic, compression);
    const copied = await readWithJavaConsumer({ version, brokers: run.destination, topic, signal });
    assert.deepEqual(content(copied), content(origin.get(originTopic)!), `records of ${topic}`);
    const local = run.target.clusters()[1]?.local;
    if (local === undefined) return; // external clusters: their log dirs are out of reach
    const batches = await batchesInLog({ version, dataDir: local.dataDir, topic, signal });
    assert.deepEqual(
      batches.map((batch) => batch.compression).filter((codec, index, all) => codec !== all[index - 1]),
      expectedCodecs,
      `codecs of the batches of ${topic}, in log order`,
    );
  }

  for (const codec of NAMED_CODECS) {
    test(`compression: ${codec} writes ${codec} batches holding the origin's records byte for byte`, async (context) => {
      await assertCopy(topics.plain, codec, [codec], context.signal);
    });
  }

  test('compression: origin writes each record with the codec of its origin batch', async (context) => {
    await assertCopy(topics.mixed, 'origin', ['zstd', 'lz4'], context.signal);
    await assertCopy(topics.json, 'origin', ['zstd'], context.signal);
  });

  test('a zstd topic copied with compression: origin takes about the bytes it takes on the origin', async (context) => {
    await assertCopy(topics.json, 'none', ['none'], context.signal);
    const [originCluster, destinationCluster] = run.target.clusters();
    if (originCluster?.local === undefined || destinationCluster?.local === undefined) return;
    const originBytes = segmentBytes(originCluster.local.dataDir, topics.json);
    const asOrigin = segmentBytes(destinationCluster.local.dataDir, copyOf(topics.json, 'origin'));
    const uncompressed = segmentBytes(destinationCluster.local.dataDir, copyOf(topics.json, 'none'));
    context.diagnostic(
      `${JSON_EVENTS} JSON events: origin (zstd) ${originBytes} bytes; copy with compression: origin ${asOrigin} bytes, with none ${uncompressed} bytes`,
    );
    assert.ok(asOrigin <= originBytes * 1.03, `${asOrigin} bytes copied for ${originBytes} on the origin`);
    assert.ok(uncompressed > originBytes * 2, `${uncompressed} bytes uncompressed for ${originBytes} zstd`);
    const metrics = await (await fetch(`http://${daemon.httpAddress}/metrics`)).text();
    const written = metrics
      .split('\n')
      .find(
        (line) =>
          line.startsWith('georep_destination_bytes_written_total{') &&
          line.includes('replication="origin"') &&
          line.includes(`topic="${topics.json}"`),
      );
    const writtenBytes = Number(written?.split(' ').at(-1));
    // The segment also holds what the broker adds per batch (its offsets and leader epoch are rewritten in place).
    assert.ok(
      Math.abs(writtenBytes - asOrigin) <= asOrigin * 0.01,
      `metric says ${writtenBytes} bytes written, the destination log holds ${asOrigin}`,
    );
  });

  /** Batches a replication wrote for an origin topic by `path` (forwarded or encoded); 0 where it wrote none. */
  async function batchesWritten(replicationName: string, originTopic: string, path: 'forwarded' | 'encoded') {
    const metrics = await (await fetch(`http://${daemon.httpAddress}/metrics`)).text();
    const labels = `replication="${replicationName}",origin="origin",destination="destination",topic="${originTopic}",path="${path}"`;
    return sampleValue(metrics, 'georep_destination_batches_written_total', labels) ?? 0;
  }

  /** The record counts of a topic's batches in its log on one side; null for clusters not run here. */
  async function batchSizes(side: 0 | 1, topic: string, signal: AbortSignal): Promise<number[] | null> {
    const local = run.target.clusters()[side]?.local;
    if (local === undefined) return null;
    const batches = await batchesInLog({
      version: run.target.toolsVersion,
      dataDir: local.dataDir,
      topic,
      signal,
    });
    return batches.map((batch) => batch.recordCount);
  }

  test('compression: origin forwards the origin batches as they came; another codec encodes them', async (context) => {
    assert.ok((await batchesWritten('origin', topics.json, 'forwarded')) > 0);
    // …in the transactions of an exactly-once replication too.
    const eosCopy = `${topics.json}.eos`;
    const version = run.target.toolsVersion;
    const signal = context.signal;
    const copied = await readWithJavaConsumer({ version, brokers: run.destination, topic: eosCopy, signal });
    assert.deepEqual(content(copied), content(origin.get(topics.json)!), `records of ${eosCopy}`);
    assert.ok((await batchesWritten('eos', topics.json, 'forwarded')) > 0);
    assert.equal(await batchesWritten('none', topics.json, 'forwarded'), 0);
    assert.ok((await batchesWritten('none', topics.json, 'encoded')) > 0);
    assert.equal(await batchesWritten('gzip', topics.plain, 'forwarded'), 0);
    assert.ok((await batchesWritten('gzip', topics.plain, 'encoded')) > 0);
  });

  test('a copy that starts inside a batch encodes the rest of that batch and forwards the batches after it', async (context) => {
    const { signal } = context;
    const version = run.target.toolsVersion;
    const topic = copyOf(topics.midBatch, 'origin');
    const copied = await readWithJavaConsumer({ version, brokers: run.destination, topic, signal });
    const expected = origin.get(topics.midBatch)!.filter((record) => record.offset >= midBatchStart);
    assert.deepEqual(content(copied), content(expected), `records of ${topic} from offset ${midBatchStart}`);
    assert.ok(
      (await batchesWritten('origin', topics.midBatch, 'encoded')) >= 1,
      'the batch cut at the start',
    );
    assert.ok((await batchesWritten('origin', topics.midBatch, 'forwarded')) > 0);
  });

  test('the committed batches of a transactional topic are forwarded; the aborted one is not copied', async (context) => {
    const { signal } = context;
    await assertCopy(topics.transactions, 'origin', ['zstd'], signal);
    const copied = origin.get(topics.transactions)!;
    assert.equal(copied.length, 2 * TRANSACTION_RECORDS);
    assert.ok(copied.every((record) => record.value?.toString().startsWith('commit:')));
    assert.equal(await batchesWritten('origin', topics.transactions, 'forwarded'), 2);
    assert.equal(await batchesWritten('origin', topics.transactions, 'encoded'), 0);
    const copiedBatches = await batchSizes(1, copyOf(topics.transactions, 'origin'), signal);
    if (copiedBatches !== null) assert.deepEqual(copiedBatches, [TRANSACTION_RECORDS, TRANSACTION_RECORDS]);
  });

  test('a destination topic that takes smaller requests than georep sends gets every record, in smaller ones', async (context) => {
    for (const compression of ['none', 'origin'] as const) {
      await assertCopy(topics.small, compression, ['none'], context.signal);
    }
    const version = run.target.toolsVersion;
    const brokers = run.destination;
    const eos = await readWithJavaConsumer({
      version,
      brokers,
      topic: `${topics.small}.eos`,
      signal: context.signal,
    });
    assert.deepEqual(content(eos), content(origin.get(topics.small)!), 'records of the exactly-once copy');
  });
});
