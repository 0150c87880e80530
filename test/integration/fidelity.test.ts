// The fidelity corpus: proof that `georep run` copies records exactly, on every supported Kafka version.
//
// Kafka's own Java client writes an awkward corpus to the origin (test/java/FidelityCorpus.java): every
// codec, headers with repeated keys, null and empty values and non-UTF-8 bytes, null keys, tombstones, empty
// keys and values, CreateTime stamps from 1970 to now and out of order, a compressed LogAppendTime topic,
// committed and aborted transactions (an aborted record keyed like an abort marker, three producers'
// transactions interleaved on one partition and aborted in reverse order), records of about 1 MiB, records of
// several MB that the origin accepts only compressed, a topic of 50 partitions, a compacted topic. The real
// daemon runs as a child process with identity naming until /status shows every flow caught up; then the same
// Java client reads both clusters with read_committed, and every partition is compared record by record, byte
// for byte. Topic names carry a fresh prefix, so the file also runs against external clusters
// (GEOREP_TEST_BOOTSTRAP_A and _B).
//
// What "the same record" means here:
// - key, value and every header (order, repeats, null values) equal byte for byte, in the same partition
//   number, in the same order;
// - the timestamp is the origin's, and the destination's timestamp type is CreateTime. For a LogAppendTime
//   origin topic that is the origin broker's append time, carried over as the copy's CreateTime: georep never
//   copies message.timestamp.type, because LogAppendTime on the destination would replace every timestamp
//   with the time of mirroring (see src/plan/topic-configs.ts);
// - offsets are not compared: transaction markers and aborted records take offsets on the origin that the
//   copy does not have, so only the order within a partition is kept;
// - records of aborted transactions are never copied, and only their absence is asserted for them.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { kafkaTestTargets } from '../../harness/test-clusters.js';
import { type KafkaVersion, repoRootDir } from '../../harness/versions.js';
import { DESTINATION_TIMESTAMP_LIMITS } from '../../src/plan/topic-configs.js';
import {
  type CorpusManifest,
  type CorpusTopic,
  type DescribedTopic,
  type DumpedRecord,
  deleteTopicsAndGroups,
  describeTopics,
  dumpTopics,
  produceCorpus,
} from './support/fidelity-corpus.js';
import { GeorepProcess, type GeorepStatus, stopAllGeorepProcesses } from './support/georep-process.js';

/** Topic configs that exist on the origin but are, by design, not set on the copy. */
const CONFIGS_NOT_COPIED = ['message.timestamp.type'];
const SETUP_TIMEOUT_MS = 300_000;
const CATCH_UP_TIMEOUT_MS = 150_000;
const STOP_TIMEOUT_MS = 40_000;

const RUNS_DIR = path.join(repoRootDir, '.cache', 'fidelity-runs');
const KEPT_RUNS = 6;

const targets = kafkaTestTargets({ clusters: 2 });

for (const target of targets) {
  describe(`georep run copies the fidelity corpus exactly on ${target.label}`, {
    skip: target.skipReason,
  }, () => {
    const label = target.label;
    // Kept after the run (the last few only), so that a failure can be read in the daemon's own log.
    const runDir = newRunDir(target.toolsVersion);
    let manifest: CorpusManifest;
    /** What the test made on the clusters, to remove from clusters the harness did not start. */
    let corpusTopicNames: readonly string[] = [];
    let daemon: GeorepProcess | undefined;
    let caughtUp: GeorepStatus;
    let caughtUpFlows: GeorepStatus['flows'] = [];
    /** Read with read_committed, by topic. */
    let origin: Map<string, DumpedRecord[]>;
    let destination: Map<string, DumpedRecord[]>;
    /** The transactions topics read with read_uncommitted: aborted records included. */
    let originUncommitted: DumpedRecord[];
    let originTopics: Map<string, DescribedTopic>;
    let destinationTopics: Map<string, DescribedTopic>;

    // One pair of clusters per version, started here and stopped in `after`, so that the versions do not run
    // side by side on a small machine.
    before(
      async (context) => {
        const signal = context.signal;
        const phases = phaseTimer();
        await target.start(signal);
        phases.end('clusters started');
        const [originCluster, destinationCluster] = target.clusters();
        const version = target.toolsVersion;
        const originBootstrap = originCluster!.brokers.join(',');
        const destinationBootstrap = destinationCluster!.brokers.join(',');
        const prefix = `fidelity-${Date.now().toString(36)}`;

        manifest = await produceCorpus({ version, bootstrap: originBootstrap, prefix, signal });
        const topicNames = manifest.topics.map((topic) => topic.name);
        corpusTopicNames = topicNames;
        phases.end('corpus produced');

        const configFile = path.join(runDir, 'geo-replication.yaml');
        writeFileSync(
          configFile,
          [
            'clusters:',
            `  origin: { bootstrap: [${JSON.stringify(originBootstrap)}] }`,
            `  destination: { bootstrap: [${JSON.stringify(destinationBootstrap)}] }`,
            'replications:',
            '  - name: fidelity',
            '    origin: origin',
            '    destinations: [destination]',
            `    topics: { include: [${JSON.stringify(`${prefix}.*`)}] }`,
            '    naming: identity',
            '    start: earliest',
            'daemon:',
            '  discoveryIntervalMs: 1000',
            '',
          ].join('\n'),
        );
        // The origin is read while georep copies it: nothing writes to it any more.
        const originReads = Promise.all([
          dumpTopics({ version, bootstrap: originBootstrap, topics: topicNames, signal }),
          dumpTopics({
            version,
            bootstrap: originBootstrap,
            topics: [corpusTopic('transactions').name, corpusTopic('transactions-concurrent').name],
            isolation: 'read_uncommitted',
            signal,
          }),
          describeTopics({ version, bootstrap: originBootstrap, topics: topicNames, signal }),
        ]);
        originReads.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
        daemon = await GeorepProcess.start({
          configFile,
          name: 'georep',
          logDir: runDir,
          extraArgs: ['--no-watch'],
        });
        const [originCommitted, originAll, originDescribed] = await originReads;
        origin = byTopic(originCommitted);
        originUncommitted = originAll;
        originTopics = byName(originDescribed);
        const originRecordCount = originCommitted.length;
        caughtUp = await waitUntilCaughtUp(daemon, topicNames, originRecordCount, signal);
        caughtUpFlows = caughtUp.flows;
        phases.end('georep caught up');

        const [destinationRecords, destinationDescribed] = await Promise.all([
          dumpTopics({ version, bootstrap: destinationBootstrap, topics: topicNames, signal }),
          describeTopics({ version, bootstrap: destinationBootstrap, topics: topicNames, signal }),
        ]);
        destination = byTopic(destinationRecords);
        destinationTopics = byName(destinationDescribed);
        phases.end('destination read');
        process.stderr.write(`${label}: ${phases.summary()}\n`);
      },
      { timeout: SETUP_TIMEOUT_MS },
    );

    after(async () => {
      // The daemon has stopped if the SIGTERM test ran; otherwise it is asked for its flows' groups now.
      const flows = (await daemon?.status().catch(() => undefined))?.flows ?? caughtUpFlows;
      await stopAllGeorepProcesses();
      // Clusters the harness started are thrown away whole; on someone else's, remove what the test made.
      const clusters = corpusTopicNames.length === 0 ? [] : target.clusters();
      if (clusters.length > 0 && clusters.every((cluster) => cluster.local === undefined)) {
        const topics = corpusTopicNames;
        const groups = [...new Set(flows.map((flow) => flow.spec.restartSettings.laneGroupId))];
        const signal = AbortSignal.timeout(120_000);
        const [originCluster, destinationCluster] = clusters;
        await deleteTopicsAndGroups({
          version: target.toolsVersion,
          bootstrap: originCluster!.brokers.join(','),
          topics,
          groups,
          signal,
        });
        await deleteTopicsAndGroups({
          version: target.toolsVersion,
          bootstrap: destinationCluster!.brokers.join(','),
          topics,
          groups: [],
          signal,
        });
      }
      await target.stop();
    });

    function corpusTopic(kind: string): CorpusTopic {
      const topic = manifest.topics.find((candidate) => candidate.kind === kind);
      assert.ok(topic, `the corpus has no ${kind} topic`);
      return topic;
    }

    /** Compares origin and destination of one corpus topic, partition by partition (see the file's header). */
    function assertCopiedExactly(kind: string): void {
      const topic = corpusTopic(kind);
      const originRecords = origin.get(topic.name) ?? [];
      const destinationRecords = destination.get(topic.name) ?? [];
      assert.ok(originRecords.length > 0, `${topic.name}: the corpus wrote no records`);
      for (let partition = 0; partition < topic.partitions; partition++) {
        const expected = originRecords.filter((record) => record.partition === partition);
        const actual = destinationRecords.filter((record) => record.partition === partition);
        const where = `${topic.name} partition ${partition}`;
        for (let index = 0; index < Math.min(expected.length, actual.length); index++) {
          const wanted = asCopied(expected[index]!);
          const got = asCopied(actual[index]!);
          if (!isDeepStrictEqual(got, wanted)) {
            assert.deepEqual(
              abbreviated(got),
              abbreviated(wanted),
              `${where}: record ${index} (origin offset ${expected[index]!.offset}, destination offset ${actual[index]!.offset})`,
            );
          }
        }
        assert.equal(actual.length, expected.length, `${where}: number of records`);
      }
      const outside = destinationRecords.filter((record) => record.partition >= topic.partitions);
      assert.deepEqual(outside, [], `${topic.name}: records in partitions the origin does not have`);
    }

    test(`${label}: every destination topic exists with the origin's partition count and topic configs`, () => {
      for (const topic of manifest.topics) {
        const originTopic = originTopics.get(topic.name);
        const destinationTopic = destinationTopics.get(topic.name);
        assert.ok(originTopic && destinationTopic, `${topic.name} described on both clusters`);
        // The corpus really set these on the origin; otherwise the comparison below proves nothing.
        assert.deepEqual(originTopic.configs, topic.configs, `${topic.name}: configs set on the origin`);
        assert.equal(destinationTopic.partitions, topic.partitions, `${topic.name}: partitions of the copy`);
        const expectedConfigs = {
          ...Object.fromEntries(
            Object.entries(originTopic.configs).filter(([name]) => !CONFIGS_NOT_COPIED.includes(name)),
          ),
          // Every copy takes any timestamp, whatever its origin's limits (src/plan/topic-configs.ts).
          ...DESTINATION_TIMESTAMP_LIMITS,
        };
        assert.deepEqual(destinationTopic.configs, expectedConfigs, `${topic.name}: configs set on the copy`);
      }
      assert.equal(
        destinationTopics.get(corpusTopic('compacted').name)?.configs['cleanup.policy'],
        'compact',
      );
      assert.equal(
        destinationTopics.get(corpusTopic('large').name)?.configs['max.message.bytes'],
        String(2 * 1024 * 1024),
      );
    });

    test(`${label}: /status shows every flow running, caught up, with exactly as many records as the origin holds`, () => {
      const flows = caughtUp.flows
        .filter((flow) => origin.has(flow.originTopic))
        .sort((a, b) => (a.originTopic < b.originTopic ? -1 : 1));
      assert.deepEqual(
        flows.map((flow) => ({
          topic: flow.originTopic,
          destinationTopic: flow.destinationTopic,
          state: flow.state,
          lag: flow.lag,
          recordsMirrored: flow.recordsMirrored,
        })),
        manifest.topics
          .map((topic) => ({
            topic: topic.name,
            destinationTopic: topic.name,
            state: 'running',
            lag: 0,
            recordsMirrored: origin.get(topic.name)?.length,
          }))
          .sort((a, b) => (a.topic < b.topic ? -1 : 1)),
      );
    });

    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      test(`${label}: records the origin stored with ${codec} compression arrive byte for byte`, () =>
        assertCopiedExactly(`codec-${codec}`));
    }

    test(`${label}: headers keep their order, repeated keys, null and empty values, and non-UTF-8 bytes`, () => {
      const records = origin.get(corpusTopic('headers').name) ?? [];
      const headers = records.flatMap((record) => record.headers);
      assert.ok(
        records.some((record) => new Set(record.headers.map((h) => h.key)).size < record.headers.length),
        'the corpus has a record with a repeated header key',
      );
      assert.ok(
        headers.some((h) => h.value === null),
        'the corpus has a null header value',
      );
      assert.ok(
        headers.some((h) => h.value === ''),
        'the corpus has an empty header value',
      );
      assert.ok(
        headers.some((h) => h.value !== null && !isUtf8(Buffer.from(h.value, 'base64'))),
        'the corpus has a header value that is not UTF-8',
      );
      assertCopiedExactly('headers');
    });

    test(`${label}: null keys, tombstones, empty keys and values, and binary keys and values are kept apart`, () => {
      const records = origin.get(corpusTopic('keys-values').name) ?? [];
      for (const [what, matches] of [
        ['a null key', (r: DumpedRecord) => r.key === null],
        ['an empty key', (r: DumpedRecord) => r.key === ''],
        ['a tombstone', (r: DumpedRecord) => r.value === null],
        ['an empty value', (r: DumpedRecord) => r.value === ''],
      ] as const) {
        assert.ok(records.some(matches), `the corpus has ${what}`);
      }
      assertCopiedExactly('keys-values');
      assertCopiedExactly('compacted');
    });

    test(`${label}: CreateTime timestamps are kept: 0, 1970, 2000, 9999, out of order within a batch`, () => {
      const timestamps = (origin.get(corpusTopic('timestamps').name) ?? []).map((record) => record.timestamp);
      for (const expected of [
        0, 1, 946_684_800_000, 999_999_999_999, 1_000_000_000_000, 253_402_300_799_000,
      ]) {
        assert.ok(timestamps.includes(expected), `the corpus has a record stamped ${expected}`);
      }
      assertCopiedExactly('timestamps');
    });

    test(`${label}: a LogAppendTime topic's append times arrive as the copy's CreateTime`, () => {
      const records = origin.get(corpusTopic('log-append-time').name) ?? [];
      assert.ok(
        records.every((record) => record.timestampType === 'LogAppendTime'),
        'the origin stamped the records with LogAppendTime',
      );
      // The producer asked for CreateTimes in the year 2000; the origin broker replaced them.
      assert.ok(
        records.every((record) => record.timestamp > Date.UTC(2020, 0, 1)),
        'append times, not the producer timestamps',
      );
      assertCopiedExactly('log-append-time');
    });

    function assertNoAbortedRecordCopied(kind: string): void {
      const topic = corpusTopic(kind);
      const isAborted = (record: DumpedRecord) =>
        record.value !== null &&
        Buffer.from(record.value, 'base64').toString('utf8').startsWith(manifest.abortedValuePrefix);
      for (let partition = 0; partition < topic.partitions; partition++) {
        assert.ok(
          originUncommitted.some(
            (record) => record.topic === topic.name && record.partition === partition && isAborted(record),
          ),
          `the origin log of ${topic.name} holds aborted records in partition ${partition}`,
        );
      }
      const copied = destination.get(topic.name) ?? [];
      assert.deepEqual(
        copied.filter(isAborted).map((record) => ({ ...abbreviated(record), offset: record.offset })),
        [],
        `aborted records on the destination of ${topic.name}`,
      );
      assertCopiedExactly(kind);
    }

    test(`${label}: committed transactions arrive in order and aborted ones never do, not even one keyed like an abort marker`, () =>
      assertNoAbortedRecordCopied('transactions'));

    test(`${label}: of three concurrent transactions on one partition, only the committed one arrives`, () =>
      assertNoAbortedRecordCopied('transactions-concurrent'));

    test(`${label}: records of about 1 MiB (up to 1.2 MB) arrive whole`, () => {
      const sizes = (origin.get(corpusTopic('large').name) ?? []).map(
        (record) => Buffer.from(record.value ?? '', 'base64').length,
      );
      assert.ok(
        sizes.some((size) => size > 1024 * 1024),
        'the corpus has a record larger than 1 MiB',
      );
      assertCopiedExactly('large');
    });

    test(`${label}: records above 1 MiB that the origin accepted compressed arrive whole`, () => {
      const sizes = (origin.get(corpusTopic('compressed-large').name) ?? []).map(
        (record) => Buffer.from(record.value ?? '', 'base64').length,
      );
      assert.ok(
        sizes.some((size) => size > 2 * 1024 * 1024),
        'the corpus has a record larger than 2 MiB',
      );
      assertCopiedExactly('compressed-large');
    });

    test(`${label}: each of 50 partitions gets its records in the same partition number`, () => {
      const partitions = new Set(
        (origin.get(corpusTopic('wide').name) ?? []).map((record) => record.partition),
      );
      assert.equal(partitions.size, 50, 'the corpus wrote to every partition');
      assertCopiedExactly('wide');
    });

    test(`${label}: SIGTERM stops georep with exit code 0`, { timeout: STOP_TIMEOUT_MS + 5000 }, async () => {
      assert.ok(daemon, 'the daemon was started');
      const { exit, killedAfterTimeout } = await daemon.stopGracefully({ timeoutMs: STOP_TIMEOUT_MS });
      assert.equal(killedAfterTimeout, false, `still running ${STOP_TIMEOUT_MS} ms after SIGTERM`);
      assert.deepEqual(exit, { code: 0, signal: null }, `exit; log:\n${daemon.tail()}`);
    });
  });
}

/** A destination record as it should look: the origin's bytes and timestamp, as CreateTime, offset aside. */
function asCopied(record: DumpedRecord) {
  return {
    key: record.key,
    value: record.value,
    headers: record.headers,
    timestamp: record.timestamp,
    timestampType: record.timestampType === 'LogAppendTime' ? 'CreateTime' : record.timestampType,
  };
}

/** For failure messages: long base64 fields shortened to their length and digest. */
function abbreviated<T extends Pick<DumpedRecord, 'key' | 'value' | 'headers'>>(record: T): T {
  const short = (base64: string | null) =>
    base64 === null || base64.length <= 96
      ? base64
      : `${Buffer.from(base64, 'base64').length} bytes, sha256 ${createHash('sha256').update(base64).digest('hex').slice(0, 16)}`;
  return {
    ...record,
    key: short(record.key),
    value: short(record.value),
    headers: record.headers.map((header) => ({ key: header.key, value: short(header.value) })),
  };
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/** Seconds spent per phase of the set-up, for a line on stderr: where the file's time goes. */
function phaseTimer() {
  let startedMs = Date.now();
  const phases: string[] = [];
  return {
    end(name: string) {
      phases.push(`${name} in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
      startedMs = Date.now();
    },
    summary: () => phases.join(', '),
  };
}

/** A fresh folder for one version's config file and daemon log; older ones beyond KEPT_RUNS are deleted. */
function newRunDir(version: KafkaVersion): string {
  mkdirSync(RUNS_DIR, { recursive: true });
  const stale = readdirSync(RUNS_DIR)
    .sort()
    .slice(0, -(KEPT_RUNS - 1));
  for (const name of stale) rmSync(path.join(RUNS_DIR, name), { recursive: true, force: true });
  const runDir = path.join(
    RUNS_DIR,
    `${new Date().toISOString().replace(/[-:.]/g, '')}-${version}-p${process.pid}`,
  );
  mkdirSync(runDir);
  return runDir;
}

function byTopic(records: readonly DumpedRecord[]): Map<string, DumpedRecord[]> {
  const topics = new Map<string, DumpedRecord[]>();
  for (const record of records) {
    const list = topics.get(record.topic) ?? [];
    list.push(record);
    topics.set(record.topic, list);
  }
  return topics;
}

function byName(topics: readonly DescribedTopic[]): Map<string, DescribedTopic> {
  return new Map(topics.map((topic) => [topic.topic, topic]));
}

/**
 * Polls /status until there is one flow per topic, each running with lag 0, and together they mirrored at
 * least `recordCount` records: what an operator would look at to call the copy complete.
 */
async function waitUntilCaughtUp(
  daemon: GeorepProcess,
  topics: readonly string[],
  recordCount: number,
  signal: AbortSignal,
): Promise<GeorepStatus> {
  const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
  let status: GeorepStatus | undefined;
  for (;;) {
    status = await daemon.status();
    const flows = status.flows.filter((flow) => topics.includes(flow.originTopic));
    const mirrored = flows.reduce((sum, flow) => sum + flow.recordsMirrored, 0);
    if (
      flows.length === topics.length &&
      flows.every((flow) => flow.state === 'running' && flow.lag === 0) &&
      mirrored >= recordCount
    ) {
      return status;
    }
    // A flow in an error that retrying cannot heal waits minutes before it looks again: fail now.
    const stuck = flows.some((flow) => flow.state === 'error' && flow.error?.retriable === false);
    if (stuck || Date.now() > deadline) {
      const summary = flows
        .map(
          (flow) =>
            `  ${flow.originTopic}: ${flow.state}, lag ${flow.lag}, ${flow.recordsMirrored} mirrored` +
            (flow.error ? `, ${flow.error.reason}: ${flow.error.message}` : '') +
            (flow.lag === 0
              ? ''
              : `, partitions lagging: ${JSON.stringify(flow.partitions.filter((p) => p.lag !== 0))}`),
        )
        .join('\n');
      throw new Error(
        `georep did not catch up ${stuck ? '(a flow failed for good)' : `within ${CATCH_UP_TIMEOUT_MS} ms`}: ` +
          `${flows.length} of ${topics.length} flows, ` +
          `${mirrored} of ${recordCount} records mirrored\n${summary}\n--- ${daemon.name}'s log (last lines; all of it in ${RUNS_DIR})\n${daemon.tail(30)}`,
      );
    }
    await sleep(500, undefined, { signal });
  }
}
