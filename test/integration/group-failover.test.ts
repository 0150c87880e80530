// Disaster recovery of consumer groups, end to end on real brokers: an application's consumer group reads
// part of an origin topic (two partitions, plain and transactional records, an aborted transaction) and
// commits; georep runs as a process with `groups: { include: [that group] }`; the origin cluster is stopped;
// the same group on the destination resumes. What it then receives, plus what it had processed, must be
// every committed origin record, each exactly once (georep's bound in steady state is 0 duplicates).
// One group resumes through the daemon's own commit, the other through `georep offsets --apply` with the
// origin down; a daemon restart in between must keep the translation right.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { withAdmin } from '../../harness/kafka-client.js';
import type { LocalKafkaCluster } from '../../harness/kafka-local.js';
import { openReader } from '../../harness/kafka-reader.js';
import { recordWriter } from '../../harness/kafka-writer.js';
import { type GeorepStatus, runGeorepCommand } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { createTopic } from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const run = new TwoClusterRun('groups', {
  names: ['london', 'frankfurt'],
  localOnly: 'needs an origin cluster the harness can stop',
});
const STEP_TIMEOUT_MS = 180_000;
const PARTITIONS = 2;

let london: LocalKafkaCluster;
let frankfurt: LocalKafkaCluster;
const topic = uniqueTopicName('payments');
const resumedByDaemon = uniqueTopicName('billing');
const resumedByApply = uniqueTopicName('ledger');

before(async (context) => {
  if (run.skipReason !== undefined) return;
  await run.start(context.signal);
  [london, frankfurt] = run.local;
  await createTopic([london.bootstrap], topic, PARTITIONS);
});
after(() => run.finish());

/**
 * Writes one phase of records to every partition: plain ones, a committed transaction (its marker is a gap
 * in the origin's offsets) and an aborted one (never readable). Returns the values a consumer can read.
 */
async function producePhase(brokers: string, phase: string): Promise<string[]> {
  const readable: string[] = [];
  const plain = recordWriter(brokers, { clientId: 'test-producer' });
  const transactional = recordWriter(brokers, {
    clientId: 'test-producer',
    transactionalId: `tx-${phase}-${topic}`,
  });
  try {
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const values = (kind: string, count: number) =>
        Array.from({ length: count }, (_, index) => `${phase}-p${partition}-${kind}-${index}`);
      const records = (list: readonly string[]) => list.map((value) => ({ partition, value }));
      const first = values('plain', 15);
      await plain.send(topic, records(first));
      const committed = values('tx', 5);
      await transactional.sendInTransaction(topic, records(committed), 'commit');
      await transactional.sendInTransaction(topic, records(values('aborted', 3)), 'abort');
      const last = values('after', 7);
      await plain.send(topic, records(last));
      readable.push(...first, ...committed, ...last);
    }
  } finally {
    await plain.close();
    await transactional.close();
  }
  return readable;
}

/**
 * The application: consumes `topic` as `groupId` (read_committed) until it has seen every value of
 * `expected` (or more), commits where it stopped, and leaves. Returns every value it received, in order.
 */
async function consumeAs(
  brokers: string,
  groupId: string,
  until: (received: readonly string[]) => boolean,
  signal: AbortSignal,
): Promise<string[]> {
  const received: string[] = [];
  const next = new Map<number, bigint>();
  let stopping = false;
  let done: () => void = () => {};
  let failed: (error: unknown) => void = () => {};
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const consumer = await openReader({
    brokers,
    topics: [topic],
    groupId,
    clientId: `app-${groupId}`,
    from: 'committed',
    isolation: 'read_committed',
    onRecord: (record) => {
      // What arrives after the application decided to stop is neither processed nor committed.
      if (stopping) return;
      received.push(record.value?.toString() ?? '');
      next.set(record.partition, record.offset + 1n);
      if (until(received)) {
        stopping = true;
        done();
      }
    },
    onError: failed,
  });
  try {
    await Promise.race([
      finished,
      new Promise((_, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${groupId} did not finish: got ${received.length}`)),
          STEP_TIMEOUT_MS,
        );
        signal.addEventListener('abort', () => clearTimeout(timer));
        finished.then(() => clearTimeout(timer));
      }),
    ]);
    await consumer.commit([...next].map(([partition, offset]) => ({ topic, partition, offset })));
  } finally {
    await consumer.close();
  }
  return received;
}

const containsAll = (expected: readonly string[]) => (received: readonly string[]) => {
  const seen = new Set(received);
  return expected.every((value) => seen.has(value));
};

/** The group's translated partitions on frankfurt, once every flow copied everything (lag 0). */
function translatedAndCaughtUp(status: GeorepStatus, group: string, atLeastSyncedAtMs: number): boolean {
  const flow = status.flows[0];
  const sync = status.groupSyncs[0]?.groups.find((entry) => entry.group === group);
  return (
    flow?.state === 'running' &&
    flow.lag === 0 &&
    sync !== undefined &&
    sync.translatedPartitions === PARTITIONS &&
    (sync.lastSyncAtMs ?? 0) > atLeastSyncedAtMs
  );
}

function duplicatesIn(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const repeated = seen.has(value);
    seen.add(value);
    return repeated;
  });
}

test('consumer groups resume on the destination after the origin is lost, each record exactly once', {
  skip: run.skipReason,
  timeout: 15 * 60_000,
}, async (t) => {
  const origin = london.bootstrap;
  const configFile = run.writeFile(
    'geo-replication.yaml',
    [
      'clusters:',
      `  london: { bootstrap: [${london.bootstrap}] }`,
      `  frankfurt: { bootstrap: [${frankfurt.bootstrap}] }`,
      'replications:',
      '  - origin: london',
      '    destinations: [frankfurt]',
      `    topics: { include: [${topic}] }`,
      '    naming: identity',
      `    groups: { include: [${resumedByDaemon}, ${resumedByApply}] }`,
      'daemon:',
      '  discoveryIntervalMs: 1000',
      '  groupSyncIntervalMs: 1000',
      '',
    ].join('\n'),
  );

  // One group processes phase 1 on the origin; georep starts and translates its position.
  const phase1 = await producePhase(origin, 'one');
  const processedByDaemonGroup = await consumeAs(
    london.bootstrap,
    resumedByDaemon,
    containsAll(phase1),
    t.signal,
  );
  let georep = await run.startGeorep({ configFile, name: 'georep-groups' });
  const firstStart = Date.now();
  await georep.waitForStatus((status) => translatedAndCaughtUp(status, resumedByDaemon, firstStart), {
    what: 'the first group translated',
    timeoutMs: STEP_TIMEOUT_MS,
    signal: t.signal,
  });

  // A restart: phase 2 is written while georep is down. The restarted daemon must translate positions in
  // what it copied before the restart (from the offset maps saved on the destination) and after it.
  const stopped = await georep.stopGracefully({ timeoutMs: 60_000 });
  assert.equal(stopped.exit.code, 0);
  const phase2 = await producePhase(origin, 'two');
  georep = await run.startGeorep({ configFile, name: 'georep-groups-restarted' });
  // Before the restart's copy: the other group now processes the first 10 records of each partition.
  const processedByApplyGroup = await consumeAs(
    london.bootstrap,
    resumedByApply,
    containsAll(phase1.filter((value) => /^one-p\d-plain-\d$/.test(value))),
    t.signal,
  );
  // After it: the first group processes phase 2.
  processedByDaemonGroup.push(
    ...(await consumeAs(london.bootstrap, resumedByDaemon, containsAll(phase2), t.signal)),
  );
  // Phase 3 is never processed on the origin: the groups must read it on the destination.
  const phase3 = await producePhase(origin, 'three');
  const afterProcessing = Date.now();
  await georep.waitForStatus(
    (status) =>
      translatedAndCaughtUp(status, resumedByDaemon, afterProcessing) &&
      translatedAndCaughtUp(status, resumedByApply, afterProcessing),
    { what: 'both groups translated after phase 3', timeoutMs: STEP_TIMEOUT_MS, signal: t.signal },
  );
  const statusTable = await runGeorepCommand(['status', '--daemon', georep.httpAddress]);
  assert.match(statusTable.stdout, new RegExp(`${resumedByDaemon}\\s+frankfurt\\s+${PARTITIONS}\\s+`));

  // Renaming the replication keeps its group sync: `georep plan` shows an update in place, and the reload
  // applies it without starting the sync again.
  const syncKey = `london -> frankfurt groups [${resumedByDaemon}, ${resumedByApply}]`;
  const renamed = readFileSync(configFile, 'utf8').replace(
    '  - origin: london',
    '  - name: payments\n    origin: london',
  );
  const renamedFile = run.writeFile('renamed.yaml', renamed);
  const plan = await runGeorepCommand(['plan', '-c', renamedFile, '--daemon', georep.httpAddress]);
  assert.equal(plan.code, 3, plan.stderr);
  assert.ok(
    plan.stdout.includes(
      `~ ${syncKey}  (update group sync in place)\n    replication: london->frankfurt -> payments`,
    ),
    plan.stdout,
  );
  assert.match(
    plan.stdout,
    /Group syncs: 0 to start, 0 to stop, 0 to restart, 1 to update in place, 0 unchanged\./,
  );
  writeFileSync(configFile, renamed);
  const afterRename = await georep.waitForStatus(
    (status) => status.groupSyncs[0]?.replication === 'payments',
    {
      what: 'the group sync renamed',
      timeoutMs: STEP_TIMEOUT_MS,
      signal: t.signal,
    },
  );
  assert.equal(afterRename.groupSyncs[0]?.key, syncKey);
  assert.equal(
    georep.logLines.filter((line) => line.msg === 'group sync started').length,
    1,
    'the sync started once, before the rename',
  );

  // The origin is lost.
  await london.stop();

  // The daemon committed for the group on the destination while it had no members there: it resumes.
  const resumedFirst = await consumeAs(frankfurt.bootstrap, resumedByDaemon, containsAll(phase3), t.signal);
  assert.deepEqual(duplicatesIn([...processedByDaemonGroup, ...resumedFirst]), [], 'no record twice');
  assert.deepEqual(
    [...processedByDaemonGroup, ...resumedFirst].sort(),
    [...phase1, ...phase2, ...phase3].sort(),
    'every committed origin record, processed once, none of the aborted ones',
  );

  // The runbook for the other group: georep stopped, the destination group without offsets (as if the
  // daemon never could commit them), `georep offsets --apply` from the checkpoints, origin down.
  await georep.stopGracefully({ timeoutMs: 60_000 });
  await withAdmin(frankfurt.bootstrap, (admin) => admin.deleteGroups({ groups: [resumedByApply] }));
  const shown = await runGeorepCommand(['offsets', '-c', configFile, '--group', resumedByApply, '--json']);
  assert.equal(shown.code, 0, shown.stderr);
  const offsets = JSON.parse(shown.stdout) as {
    partitions: {
      partition: number;
      originCommitted: string | null;
      translated: string;
      destinationCommitted: string | null;
    }[];
  };
  assert.deepEqual(
    offsets.partitions.map((row) => [row.partition, row.originCommitted, row.destinationCommitted]),
    [
      [0, null, null],
      [1, null, null],
    ],
    'the origin is down and the destination group has no offsets',
  );
  // While a consumer of the group runs on the destination, --apply refuses: it would move it under its feet.
  // openReader resolves once the consumer joined the group; it commits nothing.
  const early = await openReader({
    brokers: frankfurt.bootstrap,
    topics: [topic],
    groupId: resumedByApply,
    clientId: 'early-consumer',
    from: 'latest',
    onRecord: () => {},
  });
  const refused = await runGeorepCommand(['offsets', '-c', configFile, '--group', resumedByApply, '--apply']);
  await early.close();
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /refusing to --apply: group "[^"]+" has 1 active member\(s\) on frankfurt/);

  const applied = await runGeorepCommand(['offsets', '-c', configFile, '--group', resumedByApply, '--apply']);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /applied: /);
  const resumedSecond = await consumeAs(
    frankfurt.bootstrap,
    resumedByApply,
    containsAll([...phase1, ...phase2, ...phase3].filter((value) => !processedByApplyGroup.includes(value))),
    t.signal,
  );
  assert.deepEqual(duplicatesIn([...processedByApplyGroup, ...resumedSecond]), [], 'no record twice');
  assert.deepEqual(
    [...processedByApplyGroup, ...resumedSecond].sort(),
    [...phase1, ...phase2, ...phase3].sort(),
    'every committed origin record, processed once',
  );
});
