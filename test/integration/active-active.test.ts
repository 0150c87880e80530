// Active/active: two clusters, `paris` and `tokyo`, take writes and mirror into each other, in one georep
// whose file holds both directions twice over (as examples/active-active.yaml does):
// - prefix naming: paris's `pfx-…-paris` arrives in tokyo as `paris.pfx-…-paris` and is never sent back,
//   although the patterns of both directions select it (its name says where it has been);
// - identity naming with `loopPrevention: header`: one topic `idn-…` on both sides; each mirrored record
//   carries `georep-origin: <cluster it was first written to>` and is dropped before it re-enters that cluster.
// Records are produced on both sides before georep starts and while it runs. Each side must end with exactly
// the union expected, per topic and by content, nothing twice; and a few discovery intervals after that,
// nothing has moved (no record circulates, no `tokyo.paris.…` topic appears).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { withAdmin } from '../../harness/kafka-client.js';
import { headerValues, type ReadRecord } from '../../harness/kafka-reader.js';
import { recordWriter } from '../../harness/kafka-writer.js';
import { PROVENANCE_HEADER } from '../../src/runtime/loop-prevention.js';
import { compareTopicCopy, describeCopyProblems } from './support/copy-check.js';
import { GeorepProcess, type GeorepStatus } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { createTopics, endOffsets, readAllValues } from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const PARTITIONS = 3;
const RECORDS_PER_ROUND = 60;
const DISCOVERY_INTERVAL_MS = 1000;
/** After convergence, nothing may move during this many discovery intervals. */
const QUIET_INTERVALS = 5;
const CONVERGE_TIMEOUT_MS = 120_000;

const run = new TwoClusterRun('active-active');
/** In every topic name of this run, so that the patterns select this run's topics only. */
const runId = uniqueTopicName('aa');
const prefixTopic = { paris: `pfx-${runId}-paris`, tokyo: `pfx-${runId}-tokyo` } as const;
const identityTopic = `idn-${runId}`;
const sides = ['paris', 'tokyo'] as const;
type Side = (typeof sides)[number];
const other = (side: Side): Side => (side === 'paris' ? 'tokyo' : 'paris');
/** paris is the run's first cluster, tokyo its second. */
const brokers = (side: Side): string[] => (side === 'paris' ? run.origin : run.destination);
/** Values produced on each side, per topic, in order. */
const produced = new Map<string, string[]>();

/** The topics of this run each side must hold, and nothing else. */
function expectedTopics(side: Side): string[] {
  return [prefixTopic[side], `${other(side)}.${prefixTopic[other(side)]}`, identityTopic].sort();
}

before(async (context) => {
  await run.start(context.signal);
  // The identity topic exists on both sides, as in a deployment where applications write to it in each region.
  for (const side of sides) {
    run.deleteAtEnd(side === 'paris' ? 'origin' : 'destination', expectedTopics(side));
    await createTopics(brokers(side), [
      { topic: prefixTopic[side], partitions: PARTITIONS },
      { topic: identityTopic, partitions: PARTITIONS },
    ]);
  }
});

after(() => run.finish());

/** Writes `count` records `<side>-<topic kind>-<n>` to a topic of one side (partition n % PARTITIONS). */
async function produce(side: Side, topic: string, count: number): Promise<void> {
  const values = produced.get(`${side}/${topic}`) ?? [];
  const producer = recordWriter(brokers(side), { clientId: 'test-producer' });
  try {
    const messages = Array.from({ length: count }, (_, index) => {
      const sequence = values.length + index;
      return {
        partition: sequence % PARTITIONS,
        key: `key-${sequence}`,
        value: `${side}-${topic.startsWith('pfx') ? 'pfx' : 'idn'}-${sequence}`,
      };
    });
    await producer.send(topic, messages);
    values.push(...messages.map((message) => message.value));
    produced.set(`${side}/${topic}`, values);
  } finally {
    await producer.close();
  }
}

async function produceRound(): Promise<void> {
  for (const side of sides) {
    await produce(side, prefixTopic[side], RECORDS_PER_ROUND);
    await produce(side, identityTopic, RECORDS_PER_ROUND);
  }
}

/**
 * Records as the test compares them: the value, and the provenance header (every one, should it repeat) or
 * `-` when there is none.
 */
function withProvenance(record: ReadRecord): string {
  const provenance = headerValues(record, PROVENANCE_HEADER);
  const mark = provenance.length === 0 ? '-' : provenance.join(',');
  return `${record.value?.toString() ?? '<null>'}|${mark}`;
}

async function topicsOfRun(side: Side): Promise<string[]> {
  const topics = await withAdmin(brokers(side), (admin) => admin.listTopics());
  return topics.filter((topic) => topic.includes(runId)).sort();
}

async function recordCount(side: Side, topic: string): Promise<bigint> {
  const ends = await endOffsets(brokers(side), topic).catch(() => new Map<number, bigint>());
  return [...ends.values()].reduce((sum, end) => sum + end, 0n);
}

/** Records each topic of each side must hold once every record produced so far has been mirrored. */
function expectedCounts(): Map<string, bigint> {
  const count = (side: Side, topic: string) => BigInt(produced.get(`${side}/${topic}`)?.length ?? 0);
  const counts = new Map<string, bigint>();
  for (const side of sides) {
    counts.set(`${side}/${prefixTopic[side]}`, count(side, prefixTopic[side]));
    counts.set(`${other(side)}/${side}.${prefixTopic[side]}`, count(side, prefixTopic[side]));
    counts.set(`${side}/${identityTopic}`, count('paris', identityTopic) + count('tokyo', identityTopic));
  }
  return counts;
}

async function actualCounts(): Promise<Map<string, bigint>> {
  const counts = new Map<string, bigint>();
  for (const key of expectedCounts().keys()) {
    const [side, topic] = key.split('/') as [Side, string];
    counts.set(key, await recordCount(side, topic));
  }
  return counts;
}

/** Every flow running and caught up, and every topic holding at least what it must. */
async function waitForConvergence(georep: GeorepProcess, signal: AbortSignal): Promise<GeorepStatus> {
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
  for (;;) {
    signal.throwIfAborted();
    const status = await georep.status();
    const flowsDone =
      status.flows.length === 4 && status.flows.every((flow) => flow.state === 'running' && flow.lag === 0);
    const actual = await actualCounts();
    const expected = expectedCounts();
    if (flowsDone && [...expected].every(([key, count]) => (actual.get(key) ?? 0n) >= count)) return status;
    if (Date.now() > deadline) {
      throw new Error(
        `no convergence in ${CONVERGE_TIMEOUT_MS} ms: expected ${JSON.stringify(Object.fromEntries([...expected].map(([k, v]) => [k, String(v)])))}, ` +
          `have ${JSON.stringify(Object.fromEntries([...actual].map(([k, v]) => [k, String(v)])))}; flows ` +
          JSON.stringify(status.flows.map((flow) => [flow.key, flow.state, flow.lag, flow.error?.reason])),
      );
    }
    await sleep(250, undefined, { signal });
  }
}

describe(`${run.target.label}: two clusters mirroring into each other`, {
  skip: run.target.skipReason,
}, () => {
  let georep: GeorepProcess;

  before(async (context) => {
    const pattern = JSON.stringify(`*pfx-${runId}*`);
    const clusters = sides.map((side) => `  ${side}: { bootstrap: [${brokers(side).join(', ')}] }`);
    const replications = sides.flatMap((side) => [
      `  - name: prefix-${side}-to-${other(side)}`,
      `    origin: ${side}`,
      `    destinations: [${other(side)}]`,
      `    topics: { include: [${pattern}] }`,
      '    naming: prefix',
      `  - name: identity-${side}-to-${other(side)}`,
      `    origin: ${side}`,
      `    destinations: [${other(side)}]`,
      `    topics: { include: [${identityTopic}] }`,
      '    naming: identity',
      '    loopPrevention: header',
    ]);
    const configFile = path.join(run.workDir, 'active-active.yaml');
    writeFileSync(
      configFile,
      [
        'clusters:',
        ...clusters,
        'replications:',
        ...replications,
        'daemon:',
        `  discoveryIntervalMs: ${DISCOVERY_INTERVAL_MS}`,
        '',
      ].join('\n'),
    );
    await produceRound();
    georep = await GeorepProcess.start({ configFile, name: 'georep-active-active', logDir: run.workDir });
    await waitForConvergence(georep, context.signal);
    await produceRound();
    await waitForConvergence(georep, context.signal);
  });

  test('with prefix naming, each side holds its own topic and the other side’s copy of its, exact and once', async (context) => {
    for (const side of sides) {
      const origin = await readAllValues({
        brokers: brokers(side),
        topic: prefixTopic[side],
        signal: context.signal,
        describe: withProvenance,
      });
      const copy = await readAllValues({
        brokers: brokers(other(side)),
        topic: `${side}.${prefixTopic[side]}`,
        signal: context.signal,
        describe: withProvenance,
      });
      const report = compareTopicCopy(origin, copy);
      assert.equal(report.originRecords, 2 * RECORDS_PER_ROUND);
      assert.equal(report.missing, 0, describeCopyProblems(report));
      assert.equal(report.unexpected, 0, describeCopyProblems(report));
      assert.equal(report.duplicates, 0, `nothing mirrored twice into ${side}.${prefixTopic[side]}`);
      assert.deepEqual(report.partitionsOutOfOrder, []);
      // Prefix copies are byte-for-byte: no provenance header is added (compared with the origin's records above).
    }
  });

  test('with identity naming, each side’s topic holds exactly the union of both sides’ records', async (context) => {
    for (const side of sides) {
      const values = await readAllValues({
        brokers: brokers(side),
        topic: identityTopic,
        signal: context.signal,
        describe: withProvenance,
      });
      const held = [...values.values()].flat().sort();
      // Own records as written (no header); the other side's with its name as their provenance.
      const expected = [
        ...(produced.get(`${side}/${identityTopic}`) ?? []).map((value) => `${value}|-`),
        ...(produced.get(`${other(side)}/${identityTopic}`) ?? []).map((value) => `${value}|${other(side)}`),
      ].sort();
      assert.deepEqual(held, expected, `${side}/${identityTopic} holds each record of both sides once`);
      // Each record stays in its partition: the mirrored ones sit in the partition they were written to.
      for (const [partition, partitionValues] of values) {
        for (const value of partitionValues) {
          const sequence = Number(/-(\d+)\|/.exec(value)?.[1]);
          assert.equal(sequence % PARTITIONS, partition, `${value} in partition ${partition}`);
        }
      }
    }
  });

  test('nothing circulates: after several discovery intervals no record and no topic was added', async (context) => {
    const countsBefore = await actualCounts();
    assert.deepEqual(countsBefore, expectedCounts(), 'each topic holds exactly what it must');
    const logLinesBefore = georep.logLines.length;
    await sleep(QUIET_INTERVALS * DISCOVERY_INTERVAL_MS, undefined, { signal: context.signal });
    assert.deepEqual(await actualCounts(), countsBefore, 'no record moved while nothing was produced');
    for (const side of sides) {
      assert.deepEqual(
        await topicsOfRun(side),
        expectedTopics(side),
        `${side} has no ${other(side)}.${side}.… topic`,
      );
    }
    const status = await georep.status();
    assert.deepEqual(
      status.flows.map((flow) => [flow.key, flow.state]).sort(),
      [
        [`paris/${identityTopic} -> tokyo/${identityTopic}`, 'running'],
        [`paris/${prefixTopic.paris} -> tokyo/paris.${prefixTopic.paris}`, 'running'],
        [`tokyo/${identityTopic} -> paris/${identityTopic}`, 'running'],
        [`tokyo/${prefixTopic.tokyo} -> paris/tokyo.${prefixTopic.tokyo}`, 'running'],
      ],
      'exactly one flow per direction and topic: the copies are never selected to go back',
    );
    const started = georep.logLines
      .slice(logLinesBefore)
      .filter((line) => line.msg === 'created destination topic');
    assert.deepEqual(started, [], 'no destination topic was created while the clusters were quiet');
  });
});
