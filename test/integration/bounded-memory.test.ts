// run-tests: alone (georep's resident memory is measured against a bound).
// A slow destination slows reading; it does not fill georep's memory. The destination is throttled by a broker
// quota (producer_byte_rate, what an operator meets when a cluster's owner caps mirror traffic) while a backlog
// many times larger than georep's fetch bounds waits on the origin. georep's resident memory (VmRSS and its
// peak VmHWM, from /proc) must stay within a bound counted in fetches, the lag metric must keep
// reporting the backlog, and once the quota is lifted every record must arrive, compared by a digest of its
// key, value and headers.
//
// Runs on one Kafka version (GEOREP_KAFKA_VERSION) and on local clusters only: it changes the destination's
// default client quota.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readProcessMemory } from '../../bench/process-stats.js';
import { DEFAULT_MAX_BYTES_PER_FETCH } from '../../src/kafka/platformatic/fetch-limits.js';
import { describeCopyProblems } from './support/copy-check.js';
import type { GeorepProcess } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { sampleValue } from './support/metrics-text.js';
import { setDefaultProducerQuota } from './support/producer-quota.js';
import {
  createTopics,
  recordDigest,
  type SequenceProducer,
  startSequenceProducer,
} from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const PARTITIONS = 6;
const VALUE_BYTES = 1024;
/** 320,000 records of 1 KiB: about 312 MiB, 31 times what one fetch may hold, half again the memory bound. */
const BACKLOG_RECORDS = 320_000;
/** The destination accepts this much per second from each client: about a thousand records of 1 KiB. */
const DESTINATION_PRODUCER_BYTES_PER_SECOND = 1024 * 1024;
/** How long memory is watched after the backlog is complete, while the throttled destination drains it. */
const THROTTLED_WATCH_MS = 15_000;
/**
 * What georep's RSS may grow by above its idle size while the destination is slow, in fetches of
 * DEFAULT_MAX_BYTES_PER_FETCH. Little of it is alive: a heap snapshot taken mid-throttle held 26 MiB of buffers
 * (the fetch budget, two fetches, and the produce requests waiting on the quota) and 40 MiB of heap. The rest
 * is how Node holds memory under a stream of 10 MiB answers: the young generation grown to its maximum, buffers
 * already dropped that V8 frees only at its next collection (it starts one once about 64 MiB more were
 * allocated outside its heap), and freed pages the allocator keeps. Measured on a 2-core machine, Kafka 4.1.2:
 * 135–162 MiB above idle, flat while the backlog grew. Buffering the backlog instead would take its own size.
 */
const RSS_HEADROOM_BYTES = 20 * DEFAULT_MAX_BYTES_PER_FETCH;
const SAMPLE_INTERVAL_MS = 250;
/** Idle memory is taken once it changes by less than this in a second, */
const SETTLED_RSS_BYTES = 2 * 1024 * 1024;
/** or after this long. */
const SETTLE_TIMEOUT_MS = 30_000;
const CATCH_UP_TIMEOUT_MS = 240_000;
const MiB = 1024 * 1024;

const run = new TwoClusterRun('bounded-memory', {
  localOnly: "changes the destination's default client quota: runs on local clusters only",
});
const topic = uniqueTopicName('bounded-memory');
const destinationTopic = `origin.${topic}`;
const flowKey = `origin/${topic} -> destination/${destinationTopic}`;
let producer: SequenceProducer | null = null;

before(async (context) => {
  if (run.skipReason !== undefined) return;
  await run.start(context.signal);
  await createTopics(run.origin, [{ topic, partitions: PARTITIONS }]);
});
run.stopAtEnd(() => producer?.stop());
after(() => run.finish());

function setDestinationProducerQuota(bytesPerSecond: number | null, signal: AbortSignal): Promise<void> {
  return setDefaultProducerQuota({
    toolsVersion: run.target.toolsVersion,
    brokers: run.destination,
    bytesPerSecond,
    signal,
  });
}

async function lagMetric(daemon: GeorepProcess): Promise<number | null> {
  const response = await fetch(`http://${daemon.httpAddress}/metrics`);
  return sampleValue(await response.text(), 'georep_flow_offset_lag_records', `topic="${topic}"`);
}

function rssBytes(daemon: GeorepProcess): { rss: number; peak: number } {
  const memory = readProcessMemory(daemon.pid);
  if (memory === null) throw new Error(`${daemon.name} is gone:\n${daemon.tail()}`);
  return { rss: memory.rssBytes, peak: memory.peakRssBytes };
}

/** RSS once two looks a second apart differ by less than SETTLED_RSS_BYTES (or after SETTLE_TIMEOUT_MS). */
async function settledRssBytes(
  daemon: GeorepProcess,
  signal: AbortSignal,
): Promise<{ rss: number; peak: number }> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let before = rssBytes(daemon);
  for (;;) {
    await sleep(1_000, undefined, { signal });
    const now = rssBytes(daemon);
    if (Math.abs(now.rss - before.rss) < SETTLED_RSS_BYTES || Date.now() > deadline) return now;
    before = now;
  }
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

describe(`${run.label}: a slow destination`, { skip: run.skipReason }, () => {
  test('a throttled destination slows reading: RSS stays within 20 fetches above idle while 312 MiB wait, the lag shows them, all arrive', {
    timeout: 600_000,
  }, async (context) => {
    const { signal } = context;
    await setDestinationProducerQuota(DESTINATION_PRODUCER_BYTES_PER_SECOND, signal);
    const configFile = run.writeMirrorConfig({ topics: [topic], daemon: { discoveryIntervalMs: 1000 } });
    const daemon = await run.startGeorep({ configFile, name: 'georep-bounded' });
    // Idle: the flow runs on every partition (its consumer has joined), nothing to copy yet, and the memory
    // that starting up took has settled. Measured any sooner, idle is too low and the bound too tight.
    await daemon.waitForStatus(
      (status) => {
        const flow = status.flows.find((f) => f.key === flowKey);
        return flow?.state === 'running' && flow.partitions.length === PARTITIONS;
      },
      { what: 'the flow running on every partition', timeoutMs: 60_000, signal },
    );
    const settleStartMs = Date.now();
    const atRunning = rssBytes(daemon);
    const idle = await settledRssBytes(daemon, signal);
    context.diagnostic(
      `RSS ${mib(atRunning.rss)} when the flow ran on every partition, ${mib(idle.rss)} settled ${Date.now() - settleStartMs} ms later`,
    );
    const boundBytes = idle.rss + RSS_HEADROOM_BYTES;

    let peakRssBytes = 0;
    const lagSamples: (number | null)[] = [];
    let sampling = true;
    const sampler = (async () => {
      let tick = 0;
      while (sampling) {
        peakRssBytes = Math.max(peakRssBytes, rssBytes(daemon).rss);
        if (tick++ % 4 === 0) lagSamples.push(await lagMetric(daemon));
        await sleep(SAMPLE_INTERVAL_MS);
      }
    })();
    void sampler.catch(() => undefined); // its failure is reported where it is awaited below

    let producedMs: number;
    let produced: number;
    let samplesBeforeBacklogComplete: number;
    try {
      const producedStartMs = Date.now();
      producer = await startSequenceProducer({
        brokers: run.origin,
        topic,
        partitions: PARTITIONS,
        recordsPerSecond: 10,
        valueBytes: VALUE_BYTES,
      });
      await producer.burst(BACKLOG_RECORDS, signal);
      produced = await producer.stop();
      producer = null;
      producedMs = Date.now() - producedStartMs;
      samplesBeforeBacklogComplete = lagSamples.length;
      await sleep(THROTTLED_WATCH_MS, undefined, { signal });
    } finally {
      sampling = false;
    }
    await sampler;

    const throttled = await daemon.status();
    const flow = throttled.flows.find((f) => f.key === flowKey);
    const lagAtEnd = await lagMetric(daemon);
    const { peak: peakHwmBytes } = rssBytes(daemon);
    const largestLag = Math.max(...lagSamples.map((lag) => lag ?? 0));
    context.diagnostic(
      `${produced} records (${mib(produced * VALUE_BYTES)}) produced in ${producedMs} ms; idle RSS ${mib(idle.rss)}, ` +
        `peak RSS sampled ${mib(peakRssBytes)}, VmHWM ${mib(peakHwmBytes)}, bound ${mib(boundBytes)}; ` +
        `after ${THROTTLED_WATCH_MS} ms throttled: ${flow?.recordsMirrored} mirrored, lag ${lagAtEnd} (largest ${largestLag})`,
    );

    assert.equal(flow?.state, 'running', `a slow destination is not an error:\n${daemon.tail()}`);
    assert.ok((flow?.recordsMirrored ?? 0) > 0, 'records are copied while the destination is slow');
    assert.ok(lagAtEnd !== null, 'the lag metric reports the flow');
    // What waited on the origin is more than the bound allows: had georep read it into memory, its RSS would
    // have crossed the bound.
    assert.ok(
      largestLag * VALUE_BYTES > RSS_HEADROOM_BYTES,
      `the backlog (at most ${largestLag} records) must be larger than the memory bound (${mib(RSS_HEADROOM_BYTES)} ` +
        'above idle), or the bound proves nothing',
    );
    assert.ok(
      lagSamples.slice(samplesBeforeBacklogComplete).every((lag) => lag !== null && lag > 0),
      `the lag metric reported the backlog throughout: ${lagSamples.join(',')}`,
    );
    assert.ok(
      peakRssBytes <= boundBytes && peakHwmBytes <= Math.max(boundBytes, idle.peak),
      `georep's memory stays bounded: peak RSS ${mib(peakRssBytes)} (VmHWM ${mib(peakHwmBytes)}), ` +
        `bound ${mib(boundBytes)} = idle ${mib(idle.rss)} + ${mib(RSS_HEADROOM_BYTES)}`,
    );

    await setDestinationProducerQuota(null, signal);
    const caughtUpStartMs = Date.now();
    await run.waitUntilCaughtUp(daemon, { topic, flowKey, timeoutMs: CATCH_UP_TIMEOUT_MS, signal });
    const catchUpMs = Date.now() - caughtUpStartMs;
    const { report } = await run.readCopy({ topic, destinationTopic, signal, describe: recordDigest });
    context.diagnostic(
      `caught up in ${catchUpMs} ms after the quota was lifted; ${report.destinationRecords} records on the ` +
        `destination, ${report.duplicates} duplicates; VmHWM at the end ${mib(rssBytes(daemon).peak)}`,
    );
    assert.equal(report.originRecords, produced);
    assert.equal(report.missing, 0, describeCopyProblems(report));
    assert.equal(report.unexpected, 0, describeCopyProblems(report));
    assert.deepEqual(report.partitionsOutOfOrder, [], describeCopyProblems(report));
  });
});
