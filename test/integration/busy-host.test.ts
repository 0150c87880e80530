// run-tests: alone (it loads the host on purpose, by a known amount).
// On a busy host georep copies a topic exactly once. With kafkajs, a flow on a host whose load average was
// near 10 lost its group membership mid-copy and copied ~23,000 records a second time without any crash.
// The consumer georep uses now heartbeats on its own timer, whatever its batch handler is doing, so a starved
// CPU and a slow destination may slow the copy but never repeat a record: with no crash, every origin record is
// on the destination once, in order.
//
// The load: CPU burners (busy-looping processes; with the brokers and georep on this 2-core machine the load
// average climbs towards 10) while records stream in, and a destination throttled by a producer quota so that
// each write of a batch takes seconds, longer than a heartbeat interval. Local clusters only (it changes the
// destination's default client quota).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { externalClustersFromEnv } from '../../harness/external.js';
import { compareTopicCopy, describeCopyProblems } from './support/copy-check.js';
import { caughtUp, GeorepProcess, waitUntilCopying, writeMirrorConfig } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { setDefaultProducerQuota } from './support/producer-quota.js';
import {
  createTopics,
  endOffsets,
  readAllValues,
  type SequenceProducer,
  startSequenceProducer,
} from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const PARTITIONS = 6;
/** Busy-looping processes: with the brokers and georep on 2 cores, the load average climbs towards 10. */
const CPU_BURNERS = 10;
const BACKLOG_RECORDS = 40_000;
const RECORDS_PER_SECOND = 2_000;
/** Records written while georep copies under load, on top of the backlog. */
const RECORDS_WHILE_COPYING = 60_000;
const VALUE_BYTES = 512;
/** The throttled destination takes this much per second: a write of one partition's fetch takes seconds. */
const DESTINATION_PRODUCER_BYTES_PER_SECOND = 512 * 1024;
/** How long the destination stays throttled once georep copies. */
const THROTTLED_MS = 20_000;
const CATCH_UP_TIMEOUT_MS = 240_000;

const run = new TwoClusterRun('busy-host');
const localOnly =
  externalClustersFromEnv().length > 0
    ? "changes the destination's default client quota: runs on local clusters only"
    : undefined;
const topic = uniqueTopicName('busy-host');
const destinationTopic = `origin.${topic}`;
const flowKey = `origin/${topic} -> destination/${destinationTopic}`;
const burners: ChildProcess[] = [];
let producer: SequenceProducer | null = null;

/** Starts processes that each keep one core busy until killed. */
function startCpuBurners(count: number): void {
  for (let index = 0; index < count; index++) {
    burners.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  }
}

function stopCpuBurners(): void {
  for (const burner of burners.splice(0)) burner.kill('SIGKILL');
}

function setDestinationProducerQuota(bytesPerSecond: number | null, signal: AbortSignal): Promise<void> {
  return setDefaultProducerQuota({
    toolsVersion: run.target.toolsVersion,
    brokers: run.destination,
    bytesPerSecond,
    signal,
  });
}

before(async (context) => {
  if (localOnly) return;
  await run.start(context.signal);
  await createTopics(run.origin, [{ topic, partitions: PARTITIONS }]);
});

after(async () => {
  stopCpuBurners();
  await producer?.stop().catch(() => undefined);
  await run.finish();
});

describe(`${run.target.label}: georep on a busy host`, { skip: localOnly }, () => {
  test('with the load average near 10 and a throttled destination, no crash: every record is copied once', {
    timeout: 420_000,
  }, async (context) => {
    const { signal } = context;
    producer = await startSequenceProducer({
      brokers: run.origin,
      topic,
      partitions: PARTITIONS,
      recordsPerSecond: RECORDS_PER_SECOND,
      valueBytes: VALUE_BYTES,
    });
    await producer.burst(BACKLOG_RECORDS, signal);

    startCpuBurners(CPU_BURNERS);
    await setDestinationProducerQuota(DESTINATION_PRODUCER_BYTES_PER_SECOND, signal);
    const configFile = writeMirrorConfig({
      dir: run.workDir,
      originBrokers: run.origin,
      destinationBrokers: run.destination,
      topics: [topic],
    });
    const daemon = await GeorepProcess.start({ configFile, name: 'georep-busy-host', logDir: run.workDir });
    await waitUntilCopying(daemon, flowKey, PARTITIONS, signal);
    await sleep(THROTTLED_MS, undefined, { signal });
    await setDestinationProducerQuota(null, signal);
    await producer.reached(BACKLOG_RECORDS + RECORDS_WHILE_COPYING, signal);
    const produced = await producer.stop();
    producer = null;
    const originEnds = await endOffsets(run.origin, topic);
    await daemon.waitForStatus((status) => caughtUp([status], flowKey, originEnds), {
      what: 'the flow caught up with the origin under load',
      timeoutMs: CATCH_UP_TIMEOUT_MS,
      signal,
    });
    const loadWhenCaughtUp = loadavg()[0]!;
    stopCpuBurners();

    const report = compareTopicCopy(
      await readAllValues({ brokers: run.origin, topic, signal }),
      await readAllValues({ brokers: run.destination, topic: destinationTopic, signal }),
    );
    context.diagnostic(
      `load average ${loadWhenCaughtUp.toFixed(1)} when caught up; ${report.originRecords} records on the ` +
        `origin, ${report.destinationRecords} on the destination, ${report.duplicates} duplicates`,
    );
    assert.equal(report.originRecords, produced, 'records the producer wrote are on the origin');
    assert.equal(report.missing, 0, `records missing on the destination:\n${describeCopyProblems(report)}`);
    assert.equal(
      report.duplicates,
      0,
      `records copied twice without a crash:\n${describeCopyProblems(report)}\n${daemon.tail()}`,
    );
    assert.deepEqual(report.partitionsOutOfOrder, [], describeCopyProblems(report));
  });
});
