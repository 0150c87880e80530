// Two replications whose flows share a lane (one origin, one destination, the same naming): one capped far below
// its backlog, one not. The capped flow's partitions keep what they fetched while they wait for the cap, more than
// the lane's whole fetch budget; the uncapped replication's records still arrive, byte for byte, within seconds.
// Before the lane's budget and handlers were shared out by replication, nothing more of the uncapped one was
// fetched until the capped one caught up.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GeorepProcess } from './support/georep-process.js';
import {
  fillWithProducerPerformance,
  readWithToolReader,
  sampleRecords,
  uniqueTopicName,
  writeWithToolWriter,
} from './support/kafka-records.js';
import { createTopics, topicRecordCount } from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

/**
 * 12 partitions of 5 MB, each holding up to two batches of 4 MiB (one in the handler, one fetched ahead): well over
 * the lane's budget of 20 MiB, whatever the sizes of the answers.
 */
const CAPPED_PARTITIONS = 12;
const CAPPED_RECORDS = 60_000;
const RECORD_BYTES = 1000;
const OPEN_RECORDS = 300;

const run = new TwoClusterRun('lane-shares');
const cappedTopic = uniqueTopicName('capped');
const openTopic = uniqueTopicName('open');
let daemon: GeorepProcess;

function writeConfig(): string {
  const list = (items: readonly string[]) => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
  const replication = (name: string, topic: string, extra: string[]) => [
    `  - name: ${name}`,
    '    origin: origin',
    '    destinations: [destination]',
    `    topics: { include: [${JSON.stringify(topic)}] }`,
    ...extra,
  ];
  const file = path.join(run.workDir, 'geo-replication.yaml');
  writeFileSync(
    file,
    [
      'clusters:',
      `  origin: { bootstrap: ${list(run.origin)} }`,
      `  destination: { bootstrap: ${list(run.destination)} }`,
      'replications:',
      ...replication('capped', cappedTopic, ['    compression: none', '    maxBytesPerSecond: 1024']),
      ...replication('open', openTopic, []),
      'daemon: { discoveryIntervalMs: 1000 }',
      '',
    ].join('\n'),
  );
  return file;
}

describe('replications sharing a lane', { skip: run.target.skipReason }, () => {
  before(
    async (context) => {
      await run.start(context.signal);
      run.deleteAtEnd('origin', [cappedTopic, openTopic]);
      await createTopics(run.origin, [
        { topic: cappedTopic, partitions: CAPPED_PARTITIONS },
        { topic: openTopic, partitions: 1 },
      ]);
      await fillWithProducerPerformance({
        version: run.target.toolsVersion,
        brokers: run.origin,
        topic: cappedTopic,
        records: CAPPED_RECORDS,
        recordBytes: RECORD_BYTES,
        signal: context.signal,
      });
      daemon = await GeorepProcess.start({ configFile: writeConfig(), name: 'georep', logDir: run.workDir });
      await daemon.waitForStatus(
        (status) => status.flows.length === 2 && status.flows.every((flow) => flow.state === 'running'),
        { what: 'both flows running', timeoutMs: 90_000, signal: context.signal },
      );
      // Its first slice goes at once (the cap's burst), the rest waits: meanwhile the capped partitions fetch ahead
      // of their handlers until the budget is full (within a second, in fetch traces of this test).
      while ((await topicRecordCount(run.destination, `origin.${cappedTopic}`)) === 0) await sleep(250);
      await sleep(5000);
    },
    { timeout: 300_000 },
  );
  after(() => run.finish());

  test("an uncapped replication's records arrive while a capped one in the same lane holds its backlog", {
    timeout: 120_000,
  }, async (context) => {
    const records = sampleRecords(OPEN_RECORDS, 'open');
    const writtenAtMs = performance.now();
    await writeWithToolWriter(run.origin, openTopic, records);
    const destinationTopic = `origin.${openTopic}`;
    while ((await topicRecordCount(run.destination, destinationTopic)) < OPEN_RECORDS) {
      assert.ok(performance.now() - writtenAtMs < 30_000, 'the uncapped records did not arrive within 30 s');
      await sleep(250);
    }
    context.diagnostic(`copied in ${Math.round(performance.now() - writtenAtMs)} ms`);
    assert.deepEqual(await readWithToolReader(run.destination, destinationTopic, context.signal), records);
    const capped = (await daemon.status()).flows.find((flow) => flow.replication === 'capped');
    assert.equal(capped?.state, 'running');
    assert.ok((capped?.lag ?? 0) > CAPPED_RECORDS / 2, `the capped flow is still behind: lag ${capped?.lag}`);
  });
});
