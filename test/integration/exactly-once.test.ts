// delivery: exactly-once survives kill -9: a daemon killed five times while records stream into the origin
// leaves a destination where a read_committed consumer sees every origin record exactly once, in the origin's
// order, with the same key, value, headers and timestamp.
//
// Both sides are read with Kafka's own Java consumer (RecordTool), not with georep's code. The same
// destination read with read_uncommitted shows what the kills left behind: records of transactions that were
// open at the kill and aborted by the next daemon (the test reports them; they prove kills hit mid-write).
// The kill moments come from a seeded generator: GEOREP_TEST_SEED repeats a failing run's timing.
//
// Also: the transactional sink on its own (a claim reads the progress committed with the records and fences
// the writer before); two daemons sharing a flow, killed in turn, so partitions move both ways between them;
// and an origin that is itself written in transactions (some aborted), with records that clients tend to
// change, checked field for field: georep's transactional batches carry them exactly, and aborted origin
// records never arrive.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { recordWriter } from '../../harness/kafka-writer.js';
import { RecordTooLarge, Retriable } from '../../src/kafka/errors.js';
import type { TransactionalSink } from '../../src/kafka/port.js';
import { seededRandom, testSeed } from '../support/seeded-random.js';
import { compareTopicCopy, describeCopyProblems, type TopicCopyReport } from './support/copy-check.js';
import { caughtUp, killRepeatedly, waitForShares, waitUntilCopying } from './support/georep-process.js';
import {
  contentByPartition,
  type JavaRecord,
  readWithJavaConsumer,
  writeWithJavaProducer,
} from './support/java-records.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { portOn } from './support/port-clusters.js';
import {
  createTopic,
  endOffsets,
  type SequenceProducer,
  startSequenceProducer,
} from './support/sequence-records.js';
import { header, KEEP_FOREVER, TRICKY_RECORDS } from './support/tricky-records.js';
import { CATCH_UP_TIMEOUT_MS, TwoClusterRun } from './support/two-cluster-run.js';

const PARTITIONS = 6;
const KILLS = 5;
/** Kills in the test of two daemons sharing a flow, alternating between them. */
const SHARED_KILLS = 2;
const MIN_RECORDS = 100_000;
/** Fast enough to pass MIN_RECORDS while the kills happen (a restarted daemon waits out the killed one's session). */
const RECORDS_PER_SECOND = 2_000;
/** After the restarted daemon copied its first records: a kill lands in the backlog it catches up on. */
const KILL_DELAY_RANGE_MS = [100, 2_000] as const;
const SHUTDOWN_TIMEOUT_MS = 30_000;

const run = new TwoClusterRun('exactly-once');
const seed = testSeed();
const random = seededRandom(seed);
const topic = uniqueTopicName('exactly-once');
const destinationTopic = `origin.${topic}`;
const flowKey = `origin/${topic} -> destination/${destinationTopic}`;
let configFile: string;
let producer: SequenceProducer | null = null;

before(async (context) => {
  await run.start(context.signal);
  await createTopic(run.origin, topic, PARTITIONS);
  run.deleteAtEnd('origin', [topic]);
  run.deleteAtEnd('destination', [destinationTopic]);
  configFile = run.writeMirrorConfig({
    topics: [topic],
    replication: { delivery: 'exactly-once' },
    daemon: { shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS },
  });
});
run.stopAtEnd(() => producer?.stop());
after(() => run.finish());

const byPartition = (records: readonly JavaRecord[], partitions = PARTITIONS) =>
  contentByPartition(records, partitions);

/** The steady producer of these tests: records with headers, so that copies are compared on them too. */
function startProducer(name: string): Promise<SequenceProducer> {
  return startSequenceProducer({
    brokers: run.origin,
    topic: name,
    partitions: PARTITIONS,
    recordsPerSecond: RECORDS_PER_SECOND,
    withHeaders: true,
  });
}

/** Every record the producer wrote is on the origin and seen exactly once by read_committed, in order. */
function assertCopiedExactlyOnce(report: TopicCopyReport, produced: number): void {
  assert.equal(report.originRecords, produced, 'records the producer wrote are on the origin');
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
}

describe(`${run.label}: delivery exactly-once`, { skip: run.skipReason }, () => {
  test('a transactional sink: a claim reads the progress committed with the records and fences the previous writer', {
    timeout: 120_000,
  }, async (context) => {
    const portTopic = uniqueTopicName('exactly-once-port');
    const destination = run.target.clusters()[1]!;
    await createTopic(run.destination, portTopic, 1);
    const options = {
      topic: portTopic,
      transactionalIdPrefix: `${portTopic}.eos`,
      progressGroupId: `${portTopic}.progress`,
    };
    const port = portOn(destination);
    assert.ok(port.createTransactionalSink, 'the adapter under test has transactions');
    const first = port.createTransactionalSink(options);
    const second = port.createTransactionalSink(options);
    const batch = (name: string) =>
      [1, 2, 3].map((n) => ({
        key: Buffer.from(name),
        value: Buffer.from(`${name} ${n}`),
        headers: [header('n', String(n)), header('n', null)],
        timestampMs: 1_000 + n,
      }));
    try {
      assert.equal(await first.claim(0), null, 'no progress stored before the first transaction');
      await first.write(0, batch('first'), 3n);
      assert.equal(await first.claim(0), 3n, 'the same sink, claiming again, reads the committed progress');
      await first.write(0, batch('first again'), 6n);
      assert.equal(await second.claim(0), 6n, 'a new writer reads the progress of the one it fences');
      await assert.rejects(
        first.write(0, batch('fenced'), 9n),
        Retriable,
        'the fenced writer can no longer commit (Retriable: it may claim again)',
      );
      await second.write(0, batch('second'), 9n);
      assert.equal(await second.claim(0), 9n);

      const copy = await readWithJavaConsumer({
        version: run.target.toolsVersion,
        brokers: run.destination,
        topic: portTopic,
        signal: context.signal,
      });
      assert.deepEqual(
        copy.map((record) => [record.value?.toString(), record.timestampMs, record.headers.length]),
        ['first', 'first again', 'second'].flatMap((name) =>
          [1, 2, 3].map((n) => [`${name} ${n}`, 1_000 + n, 2]),
        ),
        'read_committed sees the committed transactions, with their timestamps and headers, and not the fenced one',
      );
    } finally {
      await first.close();
      await second.close();
    }
  });

  test("upgrading to a lane's progress group: a claim reads the flow's old progress until the lane's group has some", {
    timeout: 120_000,
  }, async () => {
    const portTopic = uniqueTopicName('exactly-once-upgrade');
    await createTopic(run.destination, portTopic, 2);
    const perFlow = {
      topic: portTopic,
      transactionalIdPrefix: `${portTopic}.eos`,
      progressGroupId: `${portTopic}.flow.eos`,
    };
    const perLane = {
      ...perFlow,
      progressGroupId: `${portTopic}.lane.eos`,
      previousProgressGroupId: perFlow.progressGroupId,
    };
    const port = portOn(run.target.clusters()[1]!);
    const record = (value: string) => [
      { key: null, value: Buffer.from(value), headers: [], timestampMs: 1_000 },
    ];
    const before = port.createTransactionalSink!(perFlow);
    const after = port.createTransactionalSink!(perLane);
    try {
      assert.equal(await before.claim(0), null);
      await before.write(0, record('per flow'), 5n);
      assert.equal(await after.claim(0), 5n, "the flow's old progress, while the lane's group has none");
      assert.equal(await after.claim(1), null, 'a partition without progress in either group');
      await after.write(0, record('per lane'), 7n);
      await after.write(1, record('per lane'), 2n);
      assert.equal(await after.claim(0), 7n, "the lane's progress once it has some");
      assert.equal(await after.claim(1), 2n);
      assert.equal(await before.claim(0), 5n, 'the old group is left as it was');
    } finally {
      await before.close();
      await after.close();
    }
  });

  test('a transactional sink writes every record exactly with every codec; a failed write leaves no record and no progress', {
    timeout: 180_000,
  }, async (context) => {
    const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
    const maxMessageBytes = 100_000;
    const portTopic = uniqueTopicName('exactly-once-exact');
    await createTopic(run.destination, portTopic, codecs.length, [
      KEEP_FOREVER,
      ['max.message.bytes', String(maxMessageBytes)],
    ]);
    const port = portOn(run.target.clusters()[1]!);
    const tooLarge = {
      key: null,
      value: randomBytes(maxMessageBytes + 50_000),
      headers: [],
      timestampMs: 7,
    };
    const sinks: TransactionalSink[] = [];
    try {
      for (const [partition, compression] of codecs.entries()) {
        const sink = port.createTransactionalSink!({
          topic: portTopic,
          transactionalIdPrefix: `${portTopic}.eos`,
          progressGroupId: `${portTopic}.progress`,
          compression,
          // Several requests per transaction: one or two records each.
          maxRequestBytes: 200,
        });
        sinks.push(sink);
        assert.equal(await sink.claim(partition), null);
        const written = await sink.write(partition, TRICKY_RECORDS, 5n);
        assert.ok(written.length > 1, `${compression}: the write took several requests`);
        let nextOffset = 0n;
        for (const range of written) {
          assert.equal(range.firstOffset, nextOffset, `${compression}: ranges follow each other`);
          nextOffset += BigInt(range.recordCount);
        }
        assert.equal(nextOffset, BigInt(TRICKY_RECORDS.length));

        // The first request of this write is stored, then the second is refused: the transaction is aborted.
        await assert.rejects(sink.write(partition, [TRICKY_RECORDS[0]!, tooLarge], 7n), RecordTooLarge);
        assert.equal(await sink.claim(partition), 5n, `${compression}: the failed write stored no progress`);
        assert.deepEqual(await sink.write(partition, [], 9n), [], 'progress alone, without records');
        assert.equal(await sink.claim(partition), 9n);
      }
      const copy = await readWithJavaConsumer({
        version: run.target.toolsVersion,
        brokers: run.destination,
        topic: portTopic,
        signal: context.signal,
      });
      assert.deepEqual(
        copy.map(({ offset: _, ...record }) => record),
        codecs.flatMap((_, partition) =>
          TRICKY_RECORDS.map((record) => ({
            partition,
            timestampType: 'create-time',
            timestampMs: record.timestampMs,
            key: record.key,
            value: record.value,
            headers: [...record.headers],
          })),
        ),
        'read_committed sees each committed record exactly, and nothing of the failed writes',
      );
    } finally {
      await Promise.all(sinks.map((sink) => sink.close()));
    }
  });

  test(`${KILLS} kills -9 during ${MIN_RECORDS} records: a read_committed consumer sees each record once`, {
    timeout: 420_000,
  }, async (context) => {
    context.diagnostic(`seed ${seed} (GEOREP_TEST_SEED=${seed} repeats the kill timing)`);
    producer = await startProducer(topic);
    const running = producer;
    const { daemon, progressAtKills: killedAt } = await killRepeatedly({
      kills: KILLS,
      start: (name) => run.startGeorep({ configFile, name }),
      waitUntilCopying: (killed) => waitUntilCopying(killed, flowKey, PARTITIONS, context.signal),
      delayRangeMs: KILL_DELAY_RANGE_MS,
      random,
      progress: () => running.acknowledged,
    });
    context.diagnostic(`killed with SIGKILL after ${killedAt.join(', ')} records were produced`);
    await producer.reached(MIN_RECORDS, context.signal);
    const produced = await producer.stop();
    producer = null;
    await run.waitUntilCaughtUp(daemon, { topic, flowKey, signal: context.signal });
    const stop = await daemon.stopGracefully({ timeoutMs: SHUTDOWN_TIMEOUT_MS + 15_000 });
    assert.deepEqual(stop.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${daemon.tail()}`);

    const read = (brokers: string[], name: string, isolation: 'read_committed' | 'read_uncommitted') =>
      readWithJavaConsumer({
        version: run.target.toolsVersion,
        brokers,
        topic: name,
        signal: context.signal,
        isolation,
      });
    const origin = await read(run.origin, topic, 'read_committed');
    const committed = await read(run.destination, destinationTopic, 'read_committed');
    const everything = await read(run.destination, destinationTopic, 'read_uncommitted');
    const report = compareTopicCopy(byPartition(origin), byPartition(committed));
    const uncommitted = compareTopicCopy(byPartition(origin), byPartition(everything));
    context.diagnostic(
      `${origin.length} records on the origin; the destination holds ${everything.length} records, of which ` +
        `${committed.length} committed: read_uncommitted would see ${uncommitted.duplicates} duplicates, ` +
        `read_committed ${report.duplicates}`,
    );
    assertCopiedExactlyOnce(report, produced);
  });

  test('an origin written in transactions, some aborted, arrives field for field and without the aborted records', {
    timeout: 240_000,
  }, async (context) => {
    const awkwardTopic = uniqueTopicName('exactly-once-transactional-origin');
    const awkwardFlowKey = `origin/${awkwardTopic} -> destination/origin.${awkwardTopic}`;
    const partitions = 2;
    const version = run.target.toolsVersion;
    await createTopic(run.origin, awkwardTopic, partitions, [KEEP_FOREVER]);
    // Kafka's Java producer writes the tricky records around transactions of the tools' producer
    // (harness/kafka-writer.ts) that commits and aborts in turn, so committed records, aborted ones and markers interleave in each partition.
    const tricky = TRICKY_RECORDS.flatMap((record) =>
      Array.from({ length: partitions }, (_, partition) => ({ ...record, partition })),
    );
    await writeWithJavaProducer({
      version,
      brokers: run.origin,
      topic: awkwardTopic,
      compression: 'lz4',
      records: tricky,
      signal: context.signal,
    });
    const transactional = recordWriter(run.origin, {
      clientId: 'test-transactions',
      transactionalId: uniqueTopicName('test-transactions'),
    });
    try {
      for (let index = 0; index < 6; index++) {
        const aborted = index % 2 === 1;
        await transactional.sendInTransaction(
          awkwardTopic,
          Array.from({ length: partitions * 3 }, (_, n) => ({
            partition: n % partitions,
            key: `transaction ${index}`,
            value: `${aborted ? 'aborted' : 'committed'} ${index}.${n}`,
            headers: [['in', 'a transaction']] as const,
          })),
          aborted ? 'abort' : 'commit',
        );
      }
    } finally {
      await transactional.close();
    }
    await writeWithJavaProducer({
      version,
      brokers: run.origin,
      topic: awkwardTopic,
      compression: 'none',
      records: tricky,
      signal: context.signal,
    });

    const daemon = await run.startGeorep({
      configFile: run.writeMirrorConfig({
        fileName: 'transactional-origin.yaml',
        topics: [awkwardTopic],
        replication: { delivery: 'exactly-once' },
      }),
      name: 'georep-transactional-origin',
    });
    await run.waitUntilCaughtUp(daemon, {
      topic: awkwardTopic,
      flowKey: awkwardFlowKey,
      signal: context.signal,
    });
    const stop = await daemon.stopGracefully({ timeoutMs: SHUTDOWN_TIMEOUT_MS + 15_000 });
    assert.deepEqual(stop.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${daemon.tail()}`);

    const read = (brokers: string[], name: string, isolation: 'read_committed' | 'read_uncommitted') =>
      readWithJavaConsumer({ version, brokers, topic: name, signal: context.signal, isolation });
    const isAborted = (record: JavaRecord) => record.value?.toString().startsWith('aborted') === true;
    const originAll = await read(run.origin, awkwardTopic, 'read_uncommitted');
    assert.ok(originAll.some(isAborted), 'precondition: the origin log holds aborted records');
    const origin = await read(run.origin, awkwardTopic, 'read_committed');
    const copy = await read(run.destination, `origin.${awkwardTopic}`, 'read_committed');
    assert.deepEqual(copy.filter(isAborted), [], 'aborted origin records on the destination');
    assert.deepEqual(
      byPartition(copy, partitions),
      byPartition(origin, partitions),
      'the copy, read committed, holds the committed origin records with the same fields, in order',
    );
    context.diagnostic(
      `${origin.length} committed records of ${originAll.length} in the origin log copied field for field`,
    );
  });

  test('a flow shared by two processes, each killed -9 in turn, is still copied exactly once', {
    timeout: 300_000,
  }, async (context) => {
    const sharedTopic = uniqueTopicName('exactly-once-shared');
    const sharedFlowKey = `origin/${sharedTopic} -> destination/origin.${sharedTopic}`;
    await createTopic(run.origin, sharedTopic, PARTITIONS);
    const sharedConfig = run.writeMirrorConfig({
      fileName: 'shared.yaml',
      topics: [sharedTopic],
      replication: { delivery: 'exactly-once' },
    });
    const start = (name: string) => run.startGeorep({ configFile: sharedConfig, name });
    producer = await startProducer(sharedTopic);
    const daemons = await Promise.all([start('shared-a'), start('shared-b')]);
    // Partitions move both ways: to the survivor when one is killed (after its session expired), and back
    // when the killed one is restarted, each time claimed, fenced and resumed from the destination's progress.
    for (let kill = 0; kill < SHARED_KILLS; kill++) {
      await waitForShares(daemons, sharedFlowKey, PARTITIONS, context.signal);
      const [low, high] = KILL_DELAY_RANGE_MS;
      await sleep(low + Math.floor(random() * (high - low)));
      const victim = kill % 2;
      await daemons[victim]!.crash();
      daemons[victim] = await start(`shared-${victim === 0 ? 'a' : 'b'}-${kill + 1}`);
    }
    await waitForShares(daemons, sharedFlowKey, PARTITIONS, context.signal);
    const produced = await producer.stop();
    producer = null;
    const originEnds = await endOffsets(run.origin, sharedTopic);
    // One hands its partitions over with a graceful stop; the other copies the rest alone.
    const leaving = await daemons[1]!.stopGracefully({ timeoutMs: SHUTDOWN_TIMEOUT_MS + 15_000 });
    assert.deepEqual(leaving.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${daemons[1]!.tail()}`);
    await daemons[0]!.waitForStatus((status) => caughtUp([status], sharedFlowKey, originEnds), {
      what: 'the remaining daemon caught up with the origin',
      timeoutMs: CATCH_UP_TIMEOUT_MS,
      signal: context.signal,
    });
    const read = (brokers: string[], name: string) =>
      readWithJavaConsumer({
        version: run.target.toolsVersion,
        brokers,
        topic: name,
        signal: context.signal,
      });
    const origin = await read(run.origin, sharedTopic);
    const copy = await read(run.destination, `origin.${sharedTopic}`);
    const report = compareTopicCopy(byPartition(origin), byPartition(copy));
    context.diagnostic(
      `${SHARED_KILLS} kills of two sharing daemons: ${origin.length} records on the origin, ${copy.length} seen by read_committed on the destination`,
    );
    assertCopiedExactlyOnce(report, produced);
  });
});
