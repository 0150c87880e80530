// delivery: exactly-once survives kill -9: a daemon killed ten times while records stream into the origin
// leaves a destination where a read_committed consumer sees every origin record exactly once, in the origin's
// order, with the same key, value, headers and timestamp.
//
// Both sides are read with Kafka's own Java consumer (RecordTool), not with georep's code nor kafkajs. The same
// destination read with read_uncommitted shows what the kills left behind: records of transactions that were
// open at the kill and aborted by the next daemon (the test reports them; they prove kills hit mid-write).
// The kill moments come from a seeded generator: GEOREP_TEST_SEED repeats a failing run's timing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kafkaTestTarget } from '../../harness/test-clusters.js';
import { seededRandom, testSeed } from '../support/seeded-random.js';
import { compareTopicCopy, describeCopyProblems } from './support/copy-check.js';
import {
  caughtUp,
  GeorepProcess,
  killRepeatedly,
  stopAllGeorepProcesses,
  waitUntilCopying,
  writeMirrorConfig,
} from './support/georep-process.js';
import { type JavaRecord, readWithJavaConsumer } from './support/java-records.js';
import { uniqueTopicName } from './support/kafka-records.js';
import {
  createTopic,
  deleteTopicsQuietly,
  endOffsets,
  type PartitionValues,
  type SequenceProducer,
  startSequenceProducer,
} from './support/sequence-records.js';

const PARTITIONS = 6;
const KILLS = 10;
const MIN_RECORDS = 200_000;
/** Fast enough to pass MIN_RECORDS while the kills happen (a restarted daemon waits out the killed one's session). */
const RECORDS_PER_SECOND = 2_000;
/** After the restarted daemon copied its first records: a kill lands in the backlog it catches up on. */
const KILL_DELAY_RANGE_MS = [100, 2_000] as const;
const SHUTDOWN_TIMEOUT_MS = 30_000;
const CATCH_UP_TIMEOUT_MS = 120_000;

const target = kafkaTestTarget({ clusters: 2 });
const seed = testSeed();
const random = seededRandom(seed);
const topic = uniqueTopicName('exactly-once');
const destinationTopic = `origin.${topic}`;
const flowKey = `origin/${topic} -> destination/${destinationTopic}`;
const workDir = mkdtempSync(path.join(tmpdir(), 'georep-exactly-once-'));
let originBrokers: string[] = [];
let destinationBrokers: string[] = [];
let configFile: string;
let producer: SequenceProducer | null = null;
let failed = false;

before(async (context) => {
  await target.start(context.signal);
  const [origin, destination] = target.clusters();
  originBrokers = origin!.brokers;
  destinationBrokers = destination!.brokers;
  await createTopic(originBrokers, topic, PARTITIONS);
  configFile = writeMirrorConfig({
    dir: workDir,
    originBrokers,
    destinationBrokers,
    topics: [topic],
    replication: { delivery: 'exactly-once' },
    daemon: { shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS },
  });
});

after(async () => {
  await stopAllGeorepProcesses();
  await producer?.stop().catch(() => undefined);
  if (originBrokers.length > 0 && target.clusters()[0]?.local === undefined) {
    await deleteTopicsQuietly(originBrokers, [topic]);
    await deleteTopicsQuietly(destinationBrokers, [destinationTopic]);
  }
  await target.stop();
  if (failed || process.env.GEOREP_TEST_KEEP_LOGS) process.stderr.write(`georep logs kept in ${workDir}\n`);
  else rmSync(workDir, { recursive: true, force: true });
});

/** A record as a user compares copies: everything but the offset. */
function content(record: JavaRecord): string {
  const bytes = (value: Buffer | null) => (value === null ? '~' : value.toString('base64'));
  const headers = record.headers.map((header) => `${header.key}=${bytes(header.value)}`).join(',');
  return `${bytes(record.key)}|${bytes(record.value)}|${headers}|${record.timestampType}@${record.timestampMs}`;
}

function byPartition(records: readonly JavaRecord[]): PartitionValues {
  const values: PartitionValues = new Map();
  for (let partition = 0; partition < PARTITIONS; partition++) values.set(partition, []);
  for (const record of records) values.get(record.partition)?.push(content(record));
  return values;
}

describe(`${target.label}: delivery exactly-once under kill -9`, { skip: target.skipReason }, () => {
  test(`${KILLS} kills -9 during ${MIN_RECORDS} records: a read_committed consumer sees each record once`, {
    timeout: 420_000,
  }, async (context) => {
    context.diagnostic(`seed ${seed} (GEOREP_TEST_SEED=${seed} repeats the kill timing)`);
    try {
      producer = await startSequenceProducer({
        brokers: originBrokers,
        topic,
        partitions: PARTITIONS,
        recordsPerSecond: RECORDS_PER_SECOND,
        withHeaders: true,
      });
      const running = producer;
      const { daemon, progressAtKills: killedAt } = await killRepeatedly({
        kills: KILLS,
        start: (name) => GeorepProcess.start({ configFile, name, logDir: workDir }),
        waitUntilCopying: (killed) => waitUntilCopying(killed, flowKey, PARTITIONS, context.signal),
        delayRangeMs: KILL_DELAY_RANGE_MS,
        random,
        progress: () => running.acknowledged,
      });
      context.diagnostic(`killed with SIGKILL after ${killedAt.join(', ')} records were produced`);
      await producer.reached(MIN_RECORDS, context.signal);
      const produced = await producer.stop();
      producer = null;
      const originEnds = await endOffsets(originBrokers, topic);
      await daemon.waitForStatus((status) => caughtUp([status], flowKey, originEnds), {
        what: `the flow caught up with the origin (${[...originEnds.values()].join(', ')})`,
        timeoutMs: CATCH_UP_TIMEOUT_MS,
        signal: context.signal,
      });
      const stop = await daemon.stopGracefully({ timeoutMs: SHUTDOWN_TIMEOUT_MS + 15_000 });
      assert.deepEqual(stop.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${daemon.tail()}`);

      const read = (brokers: string[], name: string, isolation: 'read_committed' | 'read_uncommitted') =>
        readWithJavaConsumer({
          version: target.toolsVersion,
          brokers,
          topic: name,
          signal: context.signal,
          isolation,
        });
      const origin = await read(originBrokers, topic, 'read_committed');
      const committed = await read(destinationBrokers, destinationTopic, 'read_committed');
      const everything = await read(destinationBrokers, destinationTopic, 'read_uncommitted');
      const report = compareTopicCopy(byPartition(origin), byPartition(committed));
      const uncommitted = compareTopicCopy(byPartition(origin), byPartition(everything));
      context.diagnostic(
        `${origin.length} records on the origin; the destination holds ${everything.length} records, of which ` +
          `${committed.length} committed: read_uncommitted would see ${uncommitted.duplicates} duplicates, ` +
          `read_committed ${report.duplicates}`,
      );
      assert.equal(origin.length, produced, 'records the producer wrote are on the origin');
      assert.equal(report.missing, 0, `records missing on the destination:\n${describeCopyProblems(report)}`);
      assert.equal(
        report.unexpected,
        0,
        `records that differ from the origin or are in the wrong partition:\n${describeCopyProblems(report)}`,
      );
      assert.equal(
        report.duplicates,
        0,
        `records seen twice by read_committed:\n${describeCopyProblems(report)}`,
      );
      assert.deepEqual(report.partitionsOutOfOrder, [], describeCopyProblems(report));
    } catch (error) {
      failed = true;
      throw error;
    }
  });
});
