// `compression` on a real pair of clusters: what georep writes carries the configured codec, as the
// destination broker stores it (Kafka's DumpLogSegments), and the records are byte for byte the origin's
// (read back with Kafka's own Java consumer on both sides).
//
// Kafka's Java producer writes three origin topics: `plain` (uncompressed, the tricky records and more),
// `mixed` (its first records zstd, the rest lz4) and `json` (JSON events, zstd). One daemon runs a replication
// per codec that copies `plain` into `plain.<codec>`, and with the default `origin` copies `mixed` and `json`
// as they came; one more copies `json` uncompressed, to show what `origin` saves.
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CompressionSetting } from '../../src/config/types.js';
import { GeorepProcess } from './support/georep-process.js';
import { type JavaRecord, readWithJavaConsumer, writeWithJavaProducer } from './support/java-records.js';
import { batchesInLog } from './support/kafka-records.js';
import { createTopics, endOffsets } from './support/sequence-records.js';
import { KEEP_FOREVER, TRICKY_RECORDS } from './support/tricky-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const NAMED_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const PLAIN_RECORDS = 500;
const JSON_EVENTS = 6000;
const CATCH_UP_TIMEOUT_MS = 180_000;

const run = new TwoClusterRun('compression');
const prefix = `compression-${Date.now().toString(36)}`;
const topics = { plain: `${prefix}.plain`, mixed: `${prefix}.mixed`, json: `${prefix}.json` };
let daemon: GeorepProcess;
let origin: Map<string, JavaRecord[]>;

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
          configs: Object.fromEntries([KEEP_FOREVER]),
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
        }),
      ]);
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
          ...replication('none', [topics.plain, topics.json]),
          ...replication('origin', [topics.mixed, topics.json]),
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
          status.flows.length === NAMED_CODECS.length + 3 &&
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
});
