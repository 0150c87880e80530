// run-tests: alone (a slow link's writes must never go a few seconds without an answer).
// The harness's WAN on a real broker: a client that bootstraps through the proxy stays behind it after
// metadata (the broker advertises the proxy on its WAN listener), every Kafka request it makes pays the
// configured round trip once, and records written and read through it are the records, byte for byte. And
// georep's sink behind a slow link: batches that wait for a place on the connection are not taken for a
// destination that stopped answering.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Connection, metadataV12 } from '@platformatic/kafka';
import { endOffsets, withAdmin } from '../../harness/kafka-client.js';
import { type LocalKafkaCluster, type LocalKafkaRun, startClusters } from '../../harness/kafka-local.js';
import { wanShape } from '../../harness/wan-proxy.js';
import { createPlatformaticCluster } from '../../src/kafka/platformatic/cluster.js';
import type { RecordToWrite } from '../../src/kafka/port.js';
import {
  type JavaRecordToWrite,
  readWithJavaConsumer,
  writeWithJavaProducer,
} from './support/java-records.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { clusterConfig } from './support/port-clusters.js';
import { createTopic } from './support/sequence-records.js';
import { TRICKY_RECORDS } from './support/tricky-records.js';

const ROUND_TRIP_MS = 120;
const REQUESTS = 8;

let run: LocalKafkaRun;
let cluster: LocalKafkaCluster;

/**
 * The fastest of several Metadata requests on one connection to `address` (one request, one round trip
 * each), and the broker addresses the answer advertised.
 */
async function fastestMetadataRequest(address: string, topic: string) {
  const [host = '', port = ''] = address.split(':');
  const connection = new Connection('georep-wan-test');
  await connection.connect(host, Number(port));
  try {
    let fastestMs = Number.POSITIVE_INFINITY;
    let advertised: string[] = [];
    for (let index = 0; index < REQUESTS; index++) {
      const startedAt = performance.now();
      const response = await metadataV12.api.async(connection, [topic]);
      fastestMs = Math.min(fastestMs, performance.now() - startedAt);
      advertised = response.brokers.map((broker) => `${broker.host}:${broker.port}`);
    }
    return { fastestMs, advertised };
  } finally {
    await connection.close();
  }
}

describe('a WAN in front of a harness broker', () => {
  before(async (context) => {
    run = await startClusters({ count: 1, wan: wanShape(ROUND_TRIP_MS), signal: context.signal });
    cluster = run.clusters[0]!;
  });
  after(() => run?.stopAll());

  test('a Kafka request through the proxy takes the configured round trip longer than one made directly', async (context) => {
    const topic = uniqueTopicName('wan-latency');
    await createTopic([cluster.bootstrap], topic, 1);
    const direct = await fastestMetadataRequest(cluster.bootstrap, topic);
    const bytesBefore = cluster.wanProxy!.bytes.toClient;
    const behindWan = await fastestMetadataRequest(cluster.wanBootstrap!, topic);
    const extraMs = behindWan.fastestMs - direct.fastestMs;
    context.diagnostic(
      `Metadata: ${direct.fastestMs.toFixed(1)} ms direct, ${behindWan.fastestMs.toFixed(1)} ms through a ${ROUND_TRIP_MS} ms WAN`,
    );
    assert.ok(cluster.wanProxy!.bytes.toClient > bytesBefore, 'the answers came through the proxy');
    // What keeps a client behind the proxy after its first metadata: the broker names the proxy.
    assert.deepEqual(behindWan.advertised, [cluster.wanBootstrap]);
    assert.deepEqual(direct.advertised, [cluster.bootstrap]);
    // The fastest request behind the WAN, not the difference: a slow direct sample on a busy machine would
    // shrink the difference, never the round trip the proxy waits out (less a timer's rounding).
    assert.ok(
      behindWan.fastestMs >= ROUND_TRIP_MS - 2,
      `a request behind the WAN took ${behindWan.fastestMs.toFixed(1)} ms`,
    );
    assert.ok(
      extraMs < 2 * ROUND_TRIP_MS,
      `the WAN added ${extraMs.toFixed(1)} ms: more than one round trip`,
    );
  });

  test("Kafka's Java producer and consumer through the proxy write and read the records unchanged", async (context) => {
    const topic = uniqueTopicName('wan-records');
    await createTopic([cluster.bootstrap], topic, 1, [['retention.ms', '-1']]);
    const records: JavaRecordToWrite[] = [
      ...TRICKY_RECORDS,
      ...Array.from({ length: 300 }, (_, index) => ({
        key: Buffer.from(`key-${index}`),
        value: Buffer.alloc(2000 + index, index % 256),
        headers: [],
        timestampMs: 1_700_000_000_000 + index,
      })),
    ].map((record) => ({ ...record, partition: 0 }));
    const { version } = run;
    const { signal } = context;
    const bytesBefore = cluster.wanProxy!.bytes.toServer;
    await writeWithJavaProducer({
      version,
      brokers: [cluster.wanBootstrap!],
      topic,
      compression: 'none',
      records,
      signal,
    });
    assert.ok(cluster.wanProxy!.bytes.toServer - bytesBefore > 600_000, 'the records went through the proxy');
    const expected = records.map(({ key, value, headers, timestampMs }) => ({
      key,
      value,
      headers,
      timestampMs,
    }));
    for (const brokers of [[cluster.wanBootstrap!], [cluster.bootstrap]]) {
      const read = await readWithJavaConsumer({ version, brokers, topic, signal });
      assert.deepEqual(
        read.map(({ key, value, headers, timestampMs }) => ({ key, value, headers, timestampMs })),
        expected,
        `records read from ${brokers[0]}`,
      );
    }
  });

  test("georep's sink writing more than a slow link carries at once: not reported unreachable, every record stored", async (context) => {
    // 6 partitions × 3 MiB of random bytes through 4 MB/s: about 5 s. The writes send up to five requests of a
    // partition at a time, on a few connections sharing the link, so most batches wait seconds for a place on
    // theirs; each connection has an answer every half second or so all the while.
    const partitions = 6;
    const topic = uniqueTopicName('wan-slow-sink');
    await createTopic([cluster.bootstrap], topic, partitions, [['retention.ms', '-1']]);
    cluster.wanProxy!.setShape({
      toServer: { delayMs: 5, bytesPerSecond: 4_000_000 },
      toClient: { delayMs: 5, bytesPerSecond: null },
    });
    const destination = createPlatformaticCluster(
      clusterConfig({ name: 'destination', brokers: [cluster.wanBootstrap!] }),
      () => {},
    );
    const sink = destination.createSink({ compression: 'none' });
    const reports: string[] = [];
    const recordsOf = (partition: number): RecordToWrite[] =>
      Array.from({ length: 192 }, (_, index) => ({
        key: Buffer.from(`${partition}-${index}`),
        value: randomBytes(16 * 1024),
        headers: [],
        timestampMs: 1_700_000_000_000 + index,
      }));
    try {
      const startedAt = performance.now();
      const written = await Promise.all(
        Array.from({ length: partitions }, (_, partition) =>
          sink.write(topic, partition, recordsOf(partition), {
            onUnreachable: (detail) => reports.push(detail),
          }),
        ),
      );
      context.diagnostic(`18 MiB through 4 MB/s in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
      assert.deepEqual(reports, [], 'nothing reported while every request was answered');
      assert.deepEqual(
        written.map((ranges) => ranges.reduce((sum, range) => sum + range.recordCount, 0)),
        Array(partitions).fill(192),
      );
      const ends = await withAdmin([cluster.bootstrap], (admin) => endOffsets(admin, topic));
      assert.deepEqual([...ends.values()], Array(partitions).fill(192n), 'stored on the broker');
    } finally {
      await sink.close();
      cluster.wanProxy!.setShape(wanShape(ROUND_TRIP_MS));
    }
  });
});
