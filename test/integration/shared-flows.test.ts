// Two and three georep processes with one config share each flow's partitions through Kafka's group
// membership, without any coordination of their own: each holds a disjoint part, together all of them, and
// each copies. When one is killed -9 while records flow, the others take over its partitions once the group's
// session timeout expired, and no record is lost, also over five kills; a graceful stop hands its share over
// and nothing is copied twice (issue 13, "several processes").
//
// Records carry a unique sequence (`seq-0001234`); the test writes and reads them with Kafka clients of its
// own (harness/kafka-client.ts), so the checks do not depend on georep's code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom, testSeed } from '../support/seeded-random.js';
import { describeCopyProblems } from './support/copy-check.js';
import {
  assignedPartitions,
  caughtUp,
  type GeorepProcess,
  type GeorepStatus,
  waitForShares,
} from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import {
  createTopics,
  endOffsets,
  type SequenceProducer,
  startSequenceProducer,
} from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const PARTITIONS = 6;
const ALL_PARTITIONS = Array.from({ length: PARTITIONS }, (_, partition) => partition);
const RECORDS_PER_SECOND = 2_000;
/** Records of half a KiB: a spike of them is megabytes that take the daemons a while to copy. */
const VALUE_BYTES = 512;
const SPIKE_RECORDS = 30_000;
/**
 * georep's consumer group session timeout is 10 s: a member that sends no heartbeat for that long is
 * removed and its partitions reassigned. Taking over may take that plus one rebalance of the group.
 */
const TAKEOVER_DEADLINE_MS = 30_000;
/** A daemon that leaves the group on SIGTERM hands its partitions over in one rebalance, not a session timeout. */
const SESSION_TIMEOUT_MS = 10_000;
/** Kills of one of three processes, in turn, each restarted at once. */
const KILLS = 5;
/** A kill comes this long after the process to be killed copied records again (seeded: GEOREP_TEST_SEED). */
const KILL_DELAY_RANGE_MS = [200, 2_000] as const;
const seed = testSeed();
const random = seededRandom(seed);

const run = new TwoClusterRun('shared-flows');
const topic = uniqueTopicName('shared-flows');
const destinationTopic = `origin.${topic}`;
const flowKey = `origin/${topic} -> destination/${destinationTopic}`;
let configFile: string;
let producer: SequenceProducer | null = null;
let daemons: GeorepProcess[] = [];
/** Records written so far: the next producer's first sequence (a producer's stop() counts only its own). */
let recordsProduced = 0;

before(async (context) => {
  await run.start(context.signal);
  await createTopics(run.origin, [{ topic, partitions: PARTITIONS }]);
  run.deleteAtEnd('origin', [topic]);
  run.deleteAtEnd('destination', [destinationTopic]);
  configFile = run.writeMirrorConfig({ topics: [topic] });
});
run.stopAtEnd(() => producer?.stop());
after(() => run.finish());

function flowOf(status: GeorepStatus) {
  return status.flows.find((flow) => flow.key === flowKey);
}

function waitForSplit(a: GeorepProcess, b: GeorepProcess, signal: AbortSignal): Promise<number[][]> {
  return waitForShares([a, b], flowKey, PARTITIONS, signal);
}

/** Writes a spike of records and resolves once `daemon` copied a tenth of it; the spike's promise is returned. */
async function spikeWhileCopying(
  producer: SequenceProducer,
  daemon: GeorepProcess,
  signal: AbortSignal,
): Promise<{ spike: Promise<void> }> {
  const copiedBeforeSpike = flowOf(await daemon.status())?.recordsMirrored ?? 0;
  const spike = producer.burst(SPIKE_RECORDS, signal);
  await daemon.waitForStatus(
    (status) => (flowOf(status)?.recordsMirrored ?? 0) > copiedBeforeSpike + SPIKE_RECORDS / 10,
    { what: `${daemon.name} copying the spike`, timeoutMs: 60_000, signal },
  );
  return { spike };
}

function readAndCompare(signal: AbortSignal) {
  return run.readCopy({ topic, destinationTopic, signal });
}

function startProducer(): Promise<SequenceProducer> {
  return startSequenceProducer({
    brokers: run.origin,
    topic,
    partitions: PARTITIONS,
    recordsPerSecond: RECORDS_PER_SECOND,
    valueBytes: VALUE_BYTES,
    firstSequence: recordsProduced,
  });
}

/** Stops the producer, then waits until the daemons together copied everything it wrote. */
async function stopProducerAndCatchUp(group: readonly GeorepProcess[], signal: AbortSignal): Promise<void> {
  recordsProduced += (await producer?.stop()) ?? 0;
  producer = null;
  const originEnds = await endOffsets(run.origin, topic);
  const deadline = Date.now() + 180_000;
  while (!caughtUp(await Promise.all(group.map((daemon) => daemon.status())), flowKey, originEnds)) {
    signal.throwIfAborted();
    if (Date.now() > deadline) throw new Error(`${group.map((d) => d.name)} did not catch up together`);
    await sleep(500);
  }
}

describe(`${run.label}: two georep processes with one config`, { skip: run.skipReason }, () => {
  test('split the partitions of a flow between them, and both copy', {
    timeout: 180_000,
  }, async (context) => {
    producer = await startProducer();
    daemons = await Promise.all(
      ['georep-a', 'georep-b'].map((name) => run.startGeorep({ configFile, name })),
    );
    const [a, b] = daemons as [GeorepProcess, GeorepProcess];

    const shares = await waitForSplit(a, b, context.signal);
    context.diagnostic(`georep-a holds partitions ${shares[0]}, georep-b holds ${shares[1]}`);
    const [shareA, shareB] = shares as [number[], number[]];
    assert.deepEqual(
      shareA.filter((partition) => shareB.includes(partition)),
      [],
      'no partition is held by both',
    );
    assert.deepEqual([...shareA, ...shareB].sort(), ALL_PARTITIONS, 'together they hold every partition');

    // Both copy: each one's count of mirrored records grows while it holds its share.
    const copiedBefore = await Promise.all(
      daemons.map(async (d) => flowOf(await d.status())?.recordsMirrored ?? 0),
    );
    await Promise.all(
      daemons.map((daemon, index) =>
        daemon.waitForStatus(
          (status) => (flowOf(status)?.recordsMirrored ?? 0) > (copiedBefore[index] ?? 0) + 1_000,
          {
            what: 'a thousand more records copied',
            timeoutMs: 60_000,
            signal: context.signal,
          },
        ),
      ),
    );
  });

  test('when one is killed -9 mid-stream, the other takes over its partitions and no record is lost', {
    timeout: 300_000,
  }, async (context) => {
    const [victim, survivor] = daemons as [GeorepProcess, GeorepProcess];
    assert.ok(producer !== null, 'records are still flowing');
    const victimShare = assignedPartitions(await victim.status(), flowKey);
    // A traffic spike makes both copy large batches; the kill lands while the victim has writes in flight
    // whose offsets are not committed yet.
    const { spike } = await spikeWhileCopying(producer, victim, context.signal);
    const killedMs = Date.now();
    await victim.crash();
    await spike;
    await survivor.waitForStatus(
      (status) =>
        flowOf(status)?.state === 'running' && assignedPartitions(status, flowKey).length === PARTITIONS,
      {
        what: 'all partitions held by the survivor',
        timeoutMs: TAKEOVER_DEADLINE_MS + 30_000,
        signal: context.signal,
      },
    );
    const takeoverMs = Date.now() - killedMs;
    context.diagnostic(
      `${survivor.name} took over partitions ${victimShare} ${takeoverMs} ms after the kill`,
    );
    assert.ok(
      takeoverMs <= TAKEOVER_DEADLINE_MS,
      `the survivor took over after ${takeoverMs} ms, more than the session timeout and a rebalance (${TAKEOVER_DEADLINE_MS} ms)`,
    );

    // Records keep flowing for a while after the takeover, then the survivor catches up alone.
    await sleep(3_000);
    recordsProduced += await producer.stop();
    producer = null;
    await run.waitUntilCaughtUp(survivor, { topic, flowKey, signal: context.signal });

    const { report } = await readAndCompare(context.signal);
    context.diagnostic(
      `${report.originRecords} records on the origin, ${report.destinationRecords} on the destination: ` +
        `${report.duplicates} duplicates from ${report.replays} replays`,
    );
    assert.equal(report.missing, 0, `records missing on the destination:\n${describeCopyProblems(report)}`);
    assert.equal(report.unexpected, 0, `records in the wrong partition:\n${describeCopyProblems(report)}`);
    assert.deepEqual(report.partitionsOutOfOrder, [], describeCopyProblems(report));
  });

  test('a SIGTERM to one hands its partitions to the other at once, and no record is copied twice', {
    timeout: 300_000,
  }, async (context) => {
    const leaving = daemons[1];
    assert.ok(leaving !== undefined && !leaving.hasExited, 'the survivor of the test before still runs');
    producer = await startProducer();
    const staying = await run.startGeorep({ configFile, name: 'georep-c' });
    daemons.push(staying);
    await waitForSplit(staying, leaving, context.signal);
    const leavingShare = assignedPartitions(await leaving.status(), flowKey);

    // Stopped while busy with a spike, the leaving daemon flushes and commits; the other resumes exactly
    // where it stopped.
    const { spike } = await spikeWhileCopying(producer, leaving, context.signal);
    const stop = await leaving.stopGracefully({ timeoutMs: 45_000 });
    context.diagnostic(`SIGTERM to exit of ${leaving.name}: ${stop.durationMs} ms`);
    assert.deepEqual(stop.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${leaving.tail()}`);
    const destinationEndsAtStop = await endOffsets(run.destination, destinationTopic);
    await staying.waitForStatus(
      (status) =>
        flowOf(status)?.state === 'running' && assignedPartitions(status, flowKey).length === PARTITIONS,
      { what: 'all partitions held by the other', timeoutMs: 60_000, signal: context.signal },
    );
    const handoverMs = Date.now() - stop.exitedAtMs;
    context.diagnostic(`${staying.name} held partitions ${leavingShare} too ${handoverMs} ms after the exit`);
    assert.ok(
      handoverMs < SESSION_TIMEOUT_MS,
      `the partitions moved after ${handoverMs} ms, as if the stopped daemon had not left the group`,
    );

    await spike;
    await sleep(2_000);
    recordsProduced += await producer.stop();
    producer = null;
    await run.waitUntilCaughtUp(staying, { topic, flowKey, signal: context.signal });

    const { destination, report } = await readAndCompare(context.signal);
    assert.equal(report.missing, 0, `records missing on the destination:\n${describeCopyProblems(report)}`);
    assert.deepEqual(report.partitionsOutOfOrder, [], describeCopyProblems(report));
    // On the partitions that moved, what the other daemon wrote starts where the stopped one ended.
    const copiedTwice = leavingShare.flatMap((partition) => {
      const values = destination.get(partition) ?? [];
      const endAtStop = Number(destinationEndsAtStop.get(partition) ?? 0n);
      const writtenBefore = new Set(values.slice(0, endAtStop));
      const again = values.slice(endAtStop).filter((value) => writtenBefore.has(value));
      return again.length === 0 ? [] : [`partition ${partition}: ${again.length} records copied again`];
    });
    assert.deepEqual(copiedTwice, [], 'records copied twice after a graceful handover');

    const last = await staying.stopGracefully({ timeoutMs: 45_000 });
    assert.deepEqual(last.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${staying.tail()}`);
  });
});

describe(`${run.label}: three georep processes with one config`, { skip: run.skipReason }, () => {
  let trio: GeorepProcess[] = [];
  /** Shares of the two processes that stay, before and after the third one's graceful stop. */
  let stayingShares: { before: number[][]; after: number[][] } | null = null;

  test('split the partitions three ways; each copies its share', { timeout: 180_000 }, async (context) => {
    producer = await startProducer();
    trio = await Promise.all(
      ['georep-1', 'georep-2', 'georep-3'].map((name) => run.startGeorep({ configFile, name })),
    );
    const shares = await waitForShares(trio, flowKey, PARTITIONS, context.signal);
    context.diagnostic(trio.map((daemon, index) => `${daemon.name} holds ${shares[index]}`).join(', '));
    assert.deepEqual(shares.flat().sort(), ALL_PARTITIONS, 'each partition is held by exactly one');
    const copiedBefore = await Promise.all(
      trio.map(async (d) => flowOf(await d.status())?.recordsMirrored ?? 0),
    );
    await Promise.all(
      trio.map((daemon, index) =>
        daemon.waitForStatus(
          (status) => (flowOf(status)?.recordsMirrored ?? 0) > (copiedBefore[index] ?? 0) + 500,
          {
            what: 'five hundred more records copied',
            timeoutMs: 60_000,
            signal: context.signal,
          },
        ),
      ),
    );
  });

  test(`${KILLS} kills -9 of one of the three, in turn, while records stream lose no record`, {
    timeout: 900_000,
  }, async (context) => {
    assert.ok(producer !== null, 'records are still flowing');
    context.diagnostic(`kill moments from GEOREP_TEST_SEED=${seed}`);
    for (let kill = 0; kill < KILLS; kill++) {
      const index = kill % trio.length;
      const victim = trio[index] as GeorepProcess;
      // Killed while it holds a share and copies it: writes in flight, offsets not yet committed.
      const copied = flowOf(await victim.status())?.recordsMirrored ?? 0;
      await victim.waitForStatus(
        (status) =>
          assignedPartitions(status, flowKey).length > 0 && (flowOf(status)?.recordsMirrored ?? 0) > copied,
        { what: `${victim.name} copying its share`, timeoutMs: 120_000, signal: context.signal },
      );
      const [low, high] = KILL_DELAY_RANGE_MS;
      await sleep(low + Math.floor(random() * (high - low)));
      await victim.crash();
      trio[index] = await run.startGeorep({ configFile, name: `georep-${index + 1}-after-kill-${kill + 1}` });
    }
    await stopProducerAndCatchUp(trio, context.signal);
    const { report } = await readAndCompare(context.signal);
    context.diagnostic(
      `${report.originRecords} records on the origin, ${report.destinationRecords} on the destination: ` +
        `${report.duplicates} duplicates from ${report.replays} replays after ${KILLS} kills`,
    );
    assert.equal(report.missing, 0, `records missing on the destination:\n${describeCopyProblems(report)}`);
    assert.equal(report.unexpected, 0, `records in the wrong partition:\n${describeCopyProblems(report)}`);
    assert.deepEqual(report.partitionsOutOfOrder, [], describeCopyProblems(report));
  });

  test('a SIGTERM to one of three moves its share to the other two, and no record is copied twice', {
    timeout: 300_000,
  }, async (context) => {
    const firstSequence = recordsProduced;
    producer = await startProducer();
    const before = await waitForShares(trio, flowKey, PARTITIONS, context.signal);
    const [leaving, ...staying] = [trio[2], trio[0], trio[1]] as [GeorepProcess, ...GeorepProcess[]];
    const { spike } = await spikeWhileCopying(producer, leaving, context.signal);
    const stop = await leaving.stopGracefully({ timeoutMs: 45_000 });
    assert.deepEqual(stop.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${leaving.tail()}`);
    const after = await waitForShares(staying, flowKey, PARTITIONS, context.signal);
    stayingShares = { before: before.slice(0, 2), after };
    context.diagnostic(
      `${leaving.name} held ${before[2]}; ${staying.map((d, i) => `${d.name} ${before[i]} -> ${after[i]}`).join(', ')}`,
    );
    await spike;
    await sleep(2_000);
    await stopProducerAndCatchUp(staying, context.signal);

    const { destination, report } = await readAndCompare(context.signal);
    assert.equal(report.missing, 0, `records missing on the destination:\n${describeCopyProblems(report)}`);
    assert.deepEqual(report.partitionsOutOfOrder, [], describeCopyProblems(report));
    // The records written during this test are on the destination once each.
    const sequenceOf = (value: string) => Number(value.slice(4, 11));
    const fresh = [...destination.values()].flat().filter((value) => sequenceOf(value) >= firstSequence);
    assert.equal(fresh.length - new Set(fresh).size, 0, 'records copied twice around a graceful stop');
    for (const daemon of staying) {
      const last = await daemon.stopGracefully({ timeoutMs: 45_000 });
      assert.deepEqual(last.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${daemon.tail()}`);
    }
  });

  // A lane's slots are sticky (docs/design-shared-transport.md): a member leaving moves only its own share.
  test('the two that stay keep the partitions they held', () => {
    assert.ok(stayingShares !== null, 'the graceful stop of one of three ran');
    const { before, after } = stayingShares;
    before.forEach((held, index) => {
      const lost = held.filter((partition) => !(after[index] ?? []).includes(partition));
      assert.deepEqual(lost, [], `a staying process gave up partitions ${lost}`);
    });
  });
});
