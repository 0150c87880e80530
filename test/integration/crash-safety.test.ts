// A georep daemon that is killed -9 at random moments while records stream into the origin loses nothing:
// after it caught up, every origin record is on the destination, in the origin's order per partition
// (at-least-once may repeat some; they are counted and reported). A graceful SIGTERM exits 0 in time and
// commits what it copied, so the daemon started after it copies nothing twice.
//
// Records carry a unique sequence (`seq-0001234`); the test writes and reads them with Kafka clients of its
// own (harness/kafka-client.ts), so the checks do not depend on georep's code. The kill moments come from a seeded generator: set
// GEOREP_TEST_SEED to the seed a failing run printed to repeat its timing.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeGroup, withAdmin } from '../../harness/kafka-client.js';
import { SAME_STOP_REQUEST_MS } from '../../src/cli/run.js';
import { seededRandom, testSeed } from '../support/seeded-random.js';
import { describeCopyProblems } from './support/copy-check.js';
import {
  type GeorepProcess,
  killRepeatedly,
  waitUntilCopying as waitUntilFlowCopying,
} from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import {
  createTopics,
  deleteTopicsQuietly,
  endOffsets,
  type SequenceProducer,
  startSequenceProducer,
} from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const PARTITIONS = 6;
const RECORDS_PER_SECOND = 2_000;
const MIN_RECORDS_DURING_KILLS = 100_000;
const KILLS = 5;
/**
 * A kill comes this long after the restarted daemon copied its first records, somewhere in this range. A
 * restarted daemon waits for the killed one's session to expire, so it starts with a backlog of several
 * megabytes: a kill this soon lands while it catches up, with writes in flight whose offsets are not
 * committed yet, the moment where committing too early would lose records.
 */
const KILL_DELAY_RANGE_MS = [100, 2_000] as const;
/** Records produced while no daemon runs, before the one that gets a SIGTERM while catching up starts. */
const BACKLOG_RECORDS = 20_000;
/** Values of half a KiB make a backlog of megabytes and writes that take a while. */
const VALUE_BYTES = 512;
const SHUTDOWN_TIMEOUT_MS = 30_000;
/** georep's consumer group session timeout: how long a killed daemon stays a member of the group. */
const SESSION_TIMEOUT_MS = 10_000;
const CATCH_UP_TIMEOUT_MS = 120_000;
/** The request timeout of the hung clusters of the slow stop: how long the stop waits for their answer. */
const HUNG_REQUEST_TIMEOUT_MS = 8_000;

const run = new TwoClusterRun('crash-safety');
const seed = testSeed();
const random = seededRandom(seed);
const topic = uniqueTopicName('crash-safety');
const flowKey = `origin/${topic} -> destination/origin.${topic}`;
const destinationTopic = `origin.${topic}`;
/** The consumer group of the flow's lane (origin -> destination, prefix naming), as `kafka-consumer-groups --list` shows it. */
const groupId = 'georep.origin.destination.prefix';
let configFile: string;
let producer: SequenceProducer | null = null;
let georep: GeorepProcess | null = null;
let recordsProducedBefore = 0;

before(async (context) => {
  await run.start(context.signal);
  await createTopics(run.origin, [{ topic, partitions: PARTITIONS }]);
  run.deleteAtEnd('origin', [topic]);
  run.deleteAtEnd('destination', [destinationTopic]);
  configFile = run.writeMirrorConfig({ topics: [topic], daemon: { shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS } });
});
run.stopAtEnd(() => producer?.stop());
after(() => run.finish());

async function startGeorep(name: string): Promise<GeorepProcess> {
  georep = await run.startGeorep({ configFile, name });
  return georep;
}

/** Waits until the daemon holds all partitions and copied at least one record since it started. */
function waitUntilCopying(daemon: GeorepProcess, signal: AbortSignal): Promise<void> {
  return waitUntilFlowCopying(daemon, flowKey, PARTITIONS, signal);
}

function waitUntilCaughtUp(daemon: GeorepProcess, signal: AbortSignal): Promise<void> {
  return run.waitUntilCaughtUp(daemon, { topic, flowKey, timeoutMs: CATCH_UP_TIMEOUT_MS, signal });
}

/**
 * Starts a daemon, kills it -9 once its flow runs, and starts `joiningName`. The killed daemon stays a member
 * of the group until its session times out; until then the new daemon's join waits (the group is
 * PreparingRebalance). Returns the joining daemon and when the other was killed.
 */
async function startJoiningAfterKill(
  killedName: string,
  joiningName: string,
  signal: AbortSignal,
): Promise<{ joining: GeorepProcess; killedMs: number }> {
  const crashed = await startGeorep(killedName);
  await crashed.waitForStatus((status) => status.flows[0]?.state === 'running', {
    what: 'the flow running',
    timeoutMs: 90_000,
    signal,
  });
  const killedMs = Date.now();
  await crashed.crash();
  const joining = await startGeorep(joiningName);
  await waitForGroupState(run.origin, groupId, 'PreparingRebalance', killedMs + SESSION_TIMEOUT_MS);
  return { joining, killedMs };
}

describe(`${run.label}: georep under kill -9 and SIGTERM`, { skip: run.skipReason }, () => {
  test(`${KILLS} kills -9 while records stream in lose no record and keep each partition's order`, {
    timeout: 420_000,
  }, async (context) => {
    context.diagnostic(`seed ${seed} (GEOREP_TEST_SEED=${seed} repeats the kill timing)`);
    producer = await startSequenceProducer({
      brokers: run.origin,
      topic,
      partitions: PARTITIONS,
      recordsPerSecond: RECORDS_PER_SECOND,
      valueBytes: VALUE_BYTES,
    });
    const running = producer;
    const { daemon, progressAtKills: killedAt } = await killRepeatedly({
      kills: KILLS,
      start: startGeorep,
      waitUntilCopying: (killed) => waitUntilCopying(killed, context.signal),
      delayRangeMs: KILL_DELAY_RANGE_MS,
      random,
      progress: () => running.acknowledged,
    });
    context.diagnostic(`killed with SIGKILL after ${killedAt.join(', ')} records were produced`);
    await producer.reached(MIN_RECORDS_DURING_KILLS, context.signal);
    await waitUntilCopying(daemon, context.signal);
    recordsProducedBefore = await producer.stop();
    producer = null;
    await waitUntilCaughtUp(daemon, context.signal);

    const { report } = await run.readCopy({ topic, destinationTopic, signal: context.signal });
    context.diagnostic(
      `${report.originRecords} records on the origin, ${report.destinationRecords} on the destination: ` +
        `${report.duplicates} duplicates from ${report.replays} replays after ${KILLS} kills`,
    );
    assert.equal(report.originRecords, recordsProducedBefore, 'records the producer wrote are on the origin');
    assert.equal(report.missing, 0, `records missing on the destination:\n${describeCopyProblems(report)}`);
    assert.equal(report.unexpected, 0, `records in the wrong partition:\n${describeCopyProblems(report)}`);
    assert.deepEqual(report.partitionsOutOfOrder, [], describeCopyProblems(report));
  });

  test('SIGTERM while catching up exits 0 in time, and the next daemon copies no record twice', {
    timeout: 240_000,
  }, async (context) => {
    // The daemon of the test before stops first (idle: it caught up). Records pile up while none runs, so
    // the next daemon is busy copying large batches when it gets its SIGTERM.
    if (georep !== null && !georep.hasExited) {
      const idleStop = await georep.stopGracefully({ timeoutMs: SHUTDOWN_TIMEOUT_MS + 15_000 });
      context.diagnostic(`SIGTERM to exit, idle: ${idleStop.durationMs} ms`);
      assert.deepEqual(idleStop.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${georep.tail()}`);
    }
    producer = await startSequenceProducer({
      brokers: run.origin,
      topic,
      partitions: PARTITIONS,
      recordsPerSecond: RECORDS_PER_SECOND,
      valueBytes: VALUE_BYTES,
      firstSequence: recordsProducedBefore,
    });
    await producer.reached(BACKLOG_RECORDS, context.signal);
    let daemon = await startGeorep('georep-busy');
    await waitUntilCopying(daemon, context.signal);

    const stop = await daemon.stopGracefully({ timeoutMs: SHUTDOWN_TIMEOUT_MS + 15_000 });
    context.diagnostic(`SIGTERM to exit, busy: ${stop.durationMs} ms`);
    assert.equal(
      stop.killedAfterTimeout,
      false,
      `georep still ran ${SHUTDOWN_TIMEOUT_MS + 15_000} ms after SIGTERM:\n${daemon.tail()}`,
    );
    assert.deepEqual(stop.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${daemon.tail()}`);
    const destinationEndsAtStop = await endOffsets(run.destination, destinationTopic);

    daemon = await startGeorep('georep-after-sigterm');
    await waitUntilCopying(daemon, context.signal);
    await sleep(2_000);
    await producer.stop();
    producer = null;
    await waitUntilCaughtUp(daemon, context.signal);

    const { destination, report } = await run.readCopy({ topic, destinationTopic, signal: context.signal });
    assert.equal(report.missing, 0, `records missing on the destination:\n${describeCopyProblems(report)}`);
    assert.deepEqual(report.partitionsOutOfOrder, [], describeCopyProblems(report));

    // What the daemon after the SIGTERM wrote starts where the stopped one ended: nothing before that point
    // is written again.
    const copiedTwice: string[] = [];
    for (const [partition, values] of destination) {
      const endAtStop = Number(destinationEndsAtStop.get(partition) ?? 0n);
      const writtenBefore = new Set(values.slice(0, endAtStop));
      const writtenAfter = values.slice(endAtStop);
      const again = writtenAfter.filter((value) => writtenBefore.has(value));
      const repeatedAmongNew = writtenAfter.length - new Set(writtenAfter).size;
      if (again.length > 0 || repeatedAmongNew > 0) {
        copiedTwice.push(
          `partition ${partition}: ${again.length} records copied again after the restart (first: ${again
            .slice(0, 3)
            .map((value) => value.slice(0, 11))
            .join(', ')}), ${repeatedAmongNew} repeated among the new ones`,
        );
      }
    }
    context.diagnostic(
      `after SIGTERM and restart: ${copiedTwice.length === 0 ? 'no record copied twice' : copiedTwice.join('; ')}`,
    );
    assert.deepEqual(copiedTwice, [], 'records copied twice after a graceful stop and a restart');

    const final = await daemon.stopGracefully({ timeoutMs: SHUTDOWN_TIMEOUT_MS + 15_000 });
    assert.deepEqual(final.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${daemon.tail()}`);
  });

  test('SIGTERM while the daemon waits to join its consumer group exits 0 and leaves no member behind', {
    timeout: 180_000,
  }, async (context) => {
    const { joining, killedMs } = await startJoiningAfterKill(
      'georep-before-join-test',
      'georep-joining',
      context.signal,
    );
    assert.equal(
      (await joining.status()).flows[0]?.state,
      'starting',
      'precondition: the new daemon still waits to join the group',
    );
    const stop = await joining.stopGracefully({ timeoutMs: SHUTDOWN_TIMEOUT_MS + 15_000 });
    context.diagnostic(`SIGTERM while joining to exit: ${stop.durationMs} ms`);
    assert.deepEqual(stop.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${joining.tail()}`);

    // Once the killed daemon's session expired, nobody may be left in the group: a member that the
    // stopped daemon left behind would hold the partitions for another session timeout, so the group must
    // be empty well before that (the broker expires the killed member on its own clock: wait for it).
    const members = await waitForNoMembers(run.origin, groupId, killedMs + SESSION_TIMEOUT_MS * 1.5);
    assert.deepEqual(members, [], `members of ${groupId} after both daemons are gone`);
  });

  test('a second SIGTERM a while into a slow stop exits at once, with status 1', {
    timeout: 180_000,
  }, async () => {
    // A slow stop: clusters that accept connections and never answer (hung brokers). A stop lets the reconcile
    // under way finish, which waits for the origin's topic listing until the request times out.
    const hung = await hungServer();
    run.stopAtEnd(() => hung.close());
    const cluster = `{ bootstrap: ["${hung.address}"], requestTimeoutMs: ${HUNG_REQUEST_TIMEOUT_MS} }`;
    const configFile = path.join(run.workDir, 'hung.yaml');
    writeFileSync(
      configFile,
      [
        'clusters:',
        `  origin: ${cluster}`,
        `  destination: ${cluster}`,
        'replications:',
        '  - { origin: origin, destinations: [destination], topics: { include: [hung] } }',
        '',
      ].join('\n'),
    );
    // Ready once its first listing timed out; the reconcile of a SIGHUP then waits for the next one.
    const daemon = await run.startGeorep({ configFile, name: 'georep-second-signal' });
    const linesBefore = daemon.logLines.length;
    daemon.signal('SIGHUP');
    await daemon.waitForLogLine(
      (line) => line.msg === 'configuration loaded' && daemon.logLines.indexOf(line) >= linesBefore,
      { what: 'the configuration loaded again', timeoutMs: HUNG_REQUEST_TIMEOUT_MS * 3 },
    );
    daemon.signal('SIGTERM');
    await daemon.waitForLogLine((line) => line.msg.startsWith('stopping'), {
      what: 'that it is stopping',
      timeoutMs: 5_000,
    });
    // A signal right after the first is the same request (a terminal's Ctrl-C and a wrapper's SIGTERM).
    await sleep(SAME_STOP_REQUEST_MS + 500);
    const stop = await daemon.stopGracefully({ timeoutMs: 5_000 });
    assert.deepEqual(stop.exit, { code: 1, signal: null }, `exit after a second SIGTERM:\n${daemon.tail()}`);
    assert.ok(
      daemon.logLines.some((line) => line.level === 'warn' && line.msg.startsWith('second stop signal')),
      'the log says why it exited without waiting',
    );
    assert.ok(
      !daemon.logLines.some((line) => line.msg === 'stopped'),
      'it did not wait for the flows to stop',
    );
  });

  test('a flow that fails leaves its lane, so nothing holds its partitions', {
    timeout: 180_000,
  }, async (context) => {
    // A topic of its own: its destination copy is deleted under the running flow.
    const failingTopic = uniqueTopicName('crash-safety-fails');
    const failingDestinationTopic = `origin.${failingTopic}`;
    // Another file than the daemon of the tests before, which still runs: another groupIdPrefix, as an operator
    // gives each file, so that the two do not share (and split) one lane.
    const failingGroupId = 'georep-fails.origin.destination.prefix';
    let failingProducer: SequenceProducer | null = null;
    run.deleteAtEnd('origin', [failingTopic]);
    try {
      await createTopics(run.origin, [{ topic: failingTopic, partitions: 2 }]);
      const failingConfig = run.writeMirrorConfig({
        fileName: 'fails.yaml',
        topics: [failingTopic],
        daemon: { groupIdPrefix: 'georep-fails' },
      });
      const daemon = await run.startGeorep({ configFile: failingConfig, name: 'georep-fails' });
      failingProducer = await startSequenceProducer({
        brokers: run.origin,
        topic: failingTopic,
        partitions: 2,
        recordsPerSecond: 200,
      });
      await daemon.waitForStatus((status) => (status.flows[0]?.recordsMirrored ?? 0) > 0, {
        what: 'the flow copying',
        timeoutMs: 90_000,
        signal: context.signal,
      });

      await deleteTopicsQuietly(run.destination, [failingDestinationTopic]);
      // The write fails first; a retry then finds the topic gone before it reads anything. Either way the
      // flow must blame the destination, never the origin.
      await daemon.waitForStatus(
        (status) =>
          status.flows[0]?.state === 'error' && status.flows[0].error?.reason === 'destination-topic-missing',
        { what: 'the flow in error: destination-topic-missing', timeoutMs: 90_000, signal: context.signal },
      );
      const reasons = daemon.logLines
        .filter((line) => line.msg.startsWith('flow failed'))
        .map((line) => line.reason);
      context.diagnostic(`reasons logged: ${reasons.join(', ')}`);
      assert.ok(
        !reasons.includes('origin-topic-missing'),
        `a failure blamed the origin: ${reasons.join(', ')}`,
      );
      // The flow reports its error only after it left its lane, the lane's only flow here: the group is empty at
      // once, and an operator can move its offsets (Kafka allows that only without members).
      assert.deepEqual(await groupMembers(run.origin, failingGroupId), [], `members of ${failingGroupId}`);

      const stop = await daemon.stopGracefully({ timeoutMs: SHUTDOWN_TIMEOUT_MS + 15_000 });
      assert.deepEqual(stop.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${daemon.tail()}`);
    } finally {
      await failingProducer?.stop().catch(() => undefined);
    }
  });

  test('SIGTERM while the destination is down exits within the shutdown timeout, and nothing is lost', {
    timeout: 240_000,
  }, async (context) => {
    const destinationCluster = run.target.clusters()[1]?.local;
    if (destinationCluster === undefined) {
      context.skip('needs a local destination cluster to kill');
      return;
    }
    const daemon = await startGeorep('georep-destination-down');
    // Every record so far came from this file's producers, numbered from 0 without gaps.
    const firstSequence = [...(await endOffsets(run.origin, topic)).values()].reduce(
      (sum, end) => sum + Number(end),
      0,
    );
    producer = await startSequenceProducer({
      brokers: run.origin,
      topic,
      partitions: PARTITIONS,
      recordsPerSecond: RECORDS_PER_SECOND,
      valueBytes: VALUE_BYTES,
      firstSequence,
    });
    await waitUntilCopying(daemon, context.signal);
    await destinationCluster.kill();
    await sleep(2_000); // writes in flight now wait for a destination that does not answer

    const stop = await daemon.stopGracefully({ timeoutMs: SHUTDOWN_TIMEOUT_MS + 5_000 });
    context.diagnostic(
      `SIGTERM to exit with the destination down: ${stop.durationMs} ms, exit ${JSON.stringify(stop.exit)}`,
    );
    assert.equal(
      stop.killedAfterTimeout,
      false,
      `still running ${SHUTDOWN_TIMEOUT_MS + 5_000} ms after SIGTERM:\n${daemon.tail()}`,
    );
    assert.ok(
      stop.exit.signal === null && (stop.exit.code === 0 || stop.exit.code === 1),
      `exit 0 (stopped) or 1 (ran out of time), got ${JSON.stringify(stop.exit)}`,
    );

    await destinationCluster.restart({ signal: context.signal });
    const after = await startGeorep('georep-destination-back');
    await waitUntilCopying(after, context.signal);
    await producer.stop();
    producer = null;
    await waitUntilCaughtUp(after, context.signal);
    const { report } = await run.readCopy({ topic, destinationTopic, signal: context.signal });
    assert.equal(report.missing, 0, `records missing on the destination:\n${describeCopyProblems(report)}`);
    assert.deepEqual(report.partitionsOutOfOrder, [], describeCopyProblems(report));
    const last = await after.stopGracefully({ timeoutMs: SHUTDOWN_TIMEOUT_MS + 15_000 });
    assert.deepEqual(last.exit, { code: 0, signal: null }, `exit after SIGTERM:\n${after.tail()}`);
  });
});

/** A TCP server that accepts connections and never answers: a hung broker. */
async function hungServer(): Promise<{ readonly address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((closed) => server.close(closed));
    },
  };
}

/** Client ids and hosts of the group's members, as `kafka-consumer-groups --describe --members` lists them. */
async function groupMembers(brokers: readonly string[], group: string): Promise<string[]> {
  const { members } = await withAdmin(brokers, (admin) => describeGroup(admin, group));
  return members.map((member) => `${member.clientId}@${member.clientHost}`);
}

/** Polls the group's members until there are none or the deadline passed; returns the last ones seen. */
async function waitForNoMembers(
  brokers: readonly string[],
  group: string,
  deadlineMs: number,
): Promise<string[]> {
  for (;;) {
    const members = await groupMembers(brokers, group);
    if (members.length === 0 || Date.now() > deadlineMs) return members;
    await sleep(200);
  }
}

/**
 * Waits until the group is in `state` (as `kafka-consumer-groups --describe --state` shows it). A group whose
 * member was killed goes to PreparingRebalance when a new member asks to join, and stays there until the
 * killed member's session expired: the new member's join is then pending.
 */
async function waitForGroupState(
  brokers: readonly string[],
  group: string,
  state: string,
  deadlineMs: number,
): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    let seen = '';
    while (Date.now() < deadlineMs) {
      seen = (await describeGroup(admin, group)).state;
      if (seen === state) return;
      await sleep(100);
    }
    assert.fail(`precondition: group ${group} never reached ${state} (last seen: ${seen})`);
  });
}
