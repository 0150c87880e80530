// run-tests: alone (the cap is measured within 5% over a minute).
// maxBytesPerSecond on a real pair of clusters: two topics of one replication share its cap, which holds
// within 5% over a minute (records on the destination × bytes per record as sent); /status and the metrics
// show it; the replication falls behind (lag) instead of reading ahead; and a reload that raises the cap
// applies it to the running flows without restarting them, and logs the change as its plan.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GeorepProcess, writeMirrorConfig } from './support/georep-process.js';
import { fillWithProducerPerformance, uniqueTopicName } from './support/kafka-records.js';
import { sampleValue } from './support/metrics-text.js';
import { createTopics, endOffsets } from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const CAP_BYTES_PER_SECOND = 1_000_000;
const MEASURED_MS = 60_000;
/** More than the cap lets through in the test's time, so that the flows stay behind it throughout. */
const RECORDS_PER_TOPIC = 60_000;
const RECORD_BYTES = 1000;

const run = new TwoClusterRun('bandwidth-cap');
const topics = [uniqueTopicName('capped-a'), uniqueTopicName('capped-b')];
let daemon: GeorepProcess;

function writeConfig(maxBytesPerSecond: number): string {
  return writeMirrorConfig({
    dir: run.workDir,
    originBrokers: run.origin,
    destinationBrokers: run.destination,
    topics,
    replication: { name: 'capped', compression: 'none', maxBytesPerSecond },
    daemon: { discoveryIntervalMs: 1000 },
  });
}

/**
 * Records on the destination topics, and when they were counted. The destination sees each produce request
 * as it is acknowledged, while georep's metrics count a fetched batch (up to 4 MiB) once all of it is written:
 * over a minute, that would be an error of several percent.
 */
async function recordsCopied(): Promise<{ records: number; atMs: number }> {
  const startedMs = performance.now();
  let records = 0;
  for (const topic of topics) {
    for (const end of (await endOffsets(run.destination, `origin.${topic}`)).values()) records += Number(end);
  }
  return { records, atMs: (startedMs + performance.now()) / 2 };
}

/** Bytes per record as georep sent them (batch overhead included), from what it reports. */
async function sentBytesPerRecord(): Promise<number> {
  const { flows } = await daemon.status();
  const bytes = flows.reduce((sum, flow) => sum + flow.bytesWritten, 0);
  return bytes / flows.reduce((sum, flow) => sum + flow.recordsMirrored, 0);
}

/** The replication's rate in bytes per second, as sent, over `ms`. */
async function measuredRate(ms: number): Promise<number> {
  const first = await recordsCopied();
  await sleep(ms);
  const last = await recordsCopied();
  return ((last.records - first.records) * (await sentBytesPerRecord()) * 1000) / (last.atMs - first.atMs);
}

describe('maxBytesPerSecond', { skip: run.target.skipReason }, () => {
  before(
    async (context) => {
      await run.start(context.signal);
      run.deleteAtEnd('origin', topics);
      await createTopics(
        run.origin,
        topics.map((topic) => ({ topic, partitions: 1 })),
      );
      await Promise.all(
        topics.map((topic) =>
          fillWithProducerPerformance({
            version: run.target.toolsVersion,
            brokers: run.origin,
            topic,
            records: RECORDS_PER_TOPIC,
            recordBytes: RECORD_BYTES,
            signal: context.signal,
          }),
        ),
      );
      const configFile = writeConfig(CAP_BYTES_PER_SECOND);
      daemon = await GeorepProcess.start({ configFile, name: 'georep', logDir: run.workDir });
      await daemon.waitForStatus(
        (status) => status.flows.length === 2 && status.flows.every((flow) => flow.recordsMirrored > 0),
        { what: 'both flows copying', timeoutMs: 90_000, signal: context.signal },
      );
    },
    { timeout: 300_000 },
  );
  after(() => run.finish());

  test('two flows of a replication together write at its cap, within 5% over a minute', {
    timeout: 180_000,
  }, async (context) => {
    const rate = await measuredRate(MEASURED_MS);
    context.diagnostic(`${Math.round(rate)} bytes/s over a minute for a cap of ${CAP_BYTES_PER_SECOND}`);
    assert.ok(
      Math.abs(rate - CAP_BYTES_PER_SECOND) <= CAP_BYTES_PER_SECOND * 0.05,
      `${Math.round(rate)} bytes/s for a cap of ${CAP_BYTES_PER_SECOND}`,
    );
    const status = await daemon.status();
    assert.equal(status.bandwidthCaps.length, 1);
    const [cap] = status.bandwidthCaps;
    assert.equal(cap?.replication, 'capped');
    assert.equal(cap?.maxBytesPerSecond, CAP_BYTES_PER_SECOND);
    assert.ok((cap?.throttledSeconds ?? 0) > 10, `flows waited ${cap?.throttledSeconds} s for the cap`);
    // Behind the cap, the flows hold back: lag is what shows it, not memory.
    for (const flow of status.flows) assert.ok((flow.lag ?? 0) > 0, `lag of ${flow.key}: ${flow.lag}`);
    const metrics = await (await fetch(`http://${daemon.httpAddress}/metrics`)).text();
    assert.equal(
      sampleValue(metrics, 'georep_replication_max_bytes_per_second', 'replication="capped"'),
      CAP_BYTES_PER_SECOND,
    );
  });

  test('a reload that raises the cap applies it to the running flows without restarting them', {
    timeout: 120_000,
  }, async (context) => {
    const before = await daemon.status();
    writeConfig(CAP_BYTES_PER_SECOND * 4);
    daemon.signal('SIGHUP');
    await daemon.waitForStatus(
      (status) => status.bandwidthCaps[0]?.maxBytesPerSecond === CAP_BYTES_PER_SECOND * 4,
      { what: 'the new cap', timeoutMs: 30_000 },
    );
    const rate = await measuredRate(10_000);
    context.diagnostic(`${Math.round(rate)} bytes/s after the cap was raised to ${CAP_BYTES_PER_SECOND * 4}`);
    assert.ok(rate > CAP_BYTES_PER_SECOND * 2, `${Math.round(rate)} bytes/s after the cap was raised`);
    const after = await daemon.status();
    for (const flow of after.flows) {
      const earlier = before.flows.find((candidate) => candidate.key === flow.key);
      assert.equal(flow.sinceMs, earlier?.sinceMs, `${flow.key} was not restarted`);
    }
    // The reload says what it changed: both flows updated in place, with the old and the new cap.
    const plan = await daemon.waitForLogLine((line) => line.msg.startsWith('applying plan: 0 to start'), {
      what: 'the plan of the reload',
      timeoutMs: 5000,
    });
    assert.equal(plan.msg, 'applying plan: 0 to start, 0 to stop, 0 to restart, 2 to update');
    assert.deepEqual(
      (plan.update as { changes: unknown }[]).map((update) => update.changes),
      [1, 2].map(() => [
        { setting: 'maxBytesPerSecond', from: `${CAP_BYTES_PER_SECOND}`, to: `${CAP_BYTES_PER_SECOND * 4}` },
      ]),
    );
  });
});
