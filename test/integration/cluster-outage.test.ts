// run-tests: alone (an outage must show within 5 s and copying resume within 15 s).
// A cluster that stops answering shows within seconds, and copying resumes soon after it returns, with nothing
// lost: the origin broker, then the destination broker, is killed -9 while a producer writes a few thousand
// records per second to the origin; /status is polled every 0.2 s as an operator's script would.
//
// While the broker is down the flow is `stalled` with `<side>-unavailable` and what failed (never `running`),
// `georep status` exits 1, /readyz answers 503 and georep_flows{state="stalled"} is 1. After the broker is
// restarted on the same port and data, the flow copies again, and once the producer stopped the destination
// holds every record the origin holds, byte for byte and in order (at-least-once may repeat some: counted).
// Each case runs for a flow of each delivery, in a daemon of its own: an exactly-once flow's copy, read with
// read_committed by Kafka's Java consumer, holds each origin record exactly once (none missing, none twice).
// The measured detection and resume times are printed as diagnostics (docs/outages.md quotes them).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalKafkaCluster } from '../../harness/kafka-local.js';
import { compareTopicCopy, describeCopyProblems, type TopicCopyReport } from './support/copy-check.js';
import { type GeorepProcess, runGeorepCommand, waitUntilCopying } from './support/georep-process.js';
import { contentByPartition, readWithJavaConsumer } from './support/java-records.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { sampleValue } from './support/metrics-text.js';
import {
  createTopics,
  recordDigest,
  type SequenceProducer,
  startSequenceProducer,
} from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const PARTITIONS = 3;
const RECORDS_PER_SECOND = 3_000;
const POLL_INTERVAL_MS = 200;
/**
 * Bounds asserted here, loose for a busy 2-core CI machine; typically it takes well under a second to detect
 * and about a second to resume (the test prints what it measured).
 */
const DETECTION_BOUND_MS = 5_000;
/** From the restarted broker answering to the flow copying again. */
const RESUME_BOUND_MS = 15_000;
/** How long the broker stays down once the flow showed the outage. */
const OUTAGE_MS = 3_000;

const run = new TwoClusterRun('outage');
const DELIVERIES = ['at-least-once', 'exactly-once'] as const;
type Delivery = (typeof DELIVERIES)[number];

/** One flow of the delivery, copied by a daemon of its own (its status and metrics count that flow alone). */
interface OutageFlow {
  readonly topic: string;
  readonly destinationTopic: string;
  readonly flowKey: string;
  georep: GeorepProcess | null;
}

const flows = new Map<Delivery, OutageFlow>(
  DELIVERIES.map((delivery) => {
    const topic = uniqueTopicName(`outage-${delivery}`);
    const destinationTopic = `origin.${topic}`;
    const flowKey = `origin/${topic} -> destination/${destinationTopic}`;
    return [delivery, { topic, destinationTopic, flowKey, georep: null }];
  }),
);

before(async (context) => {
  await run.start(context.signal);
  const topics = [...flows.values()].map(({ topic }) => topic);
  await createTopics(
    run.origin,
    topics.map((topic) => ({ topic, partitions: PARTITIONS })),
  );
  run.deleteAtEnd('origin', topics);
  run.deleteAtEnd(
    'destination',
    [...flows.values()].map(({ destinationTopic }) => destinationTopic),
  );
  for (const [delivery, flow] of flows) {
    const configFile = run.writeMirrorConfig({
      topics: [flow.topic],
      replication: { delivery },
      fileName: `${delivery}.yaml`,
      // Two files on one pair of clusters, running at once: each needs its own lanes (docs/configuration.md).
      daemon: { groupIdPrefix: `georep-${delivery}` },
    });
    flow.georep = await run.startGeorep({ configFile, name: `georep-outage-${delivery}` });
  }
});
after(() => run.finish());

interface Sample {
  readonly atMs: number;
  readonly state: string;
  readonly reason: string | null;
  readonly message: string | null;
  readonly recordsMirrored: number;
}

/** Polls /status every POLL_INTERVAL_MS and keeps what it said of the flow. */
function pollFlow(daemon: GeorepProcess, flowKey: string): { samples: Sample[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  let polling = true;
  const loop = (async () => {
    while (polling) {
      const status = await daemon.status().catch(() => null);
      const flow = status?.flows.find((candidate) => candidate.key === flowKey);
      samples.push({
        atMs: Date.now(),
        state: flow?.state ?? 'unanswered',
        reason: flow?.error?.reason ?? null,
        message: flow?.error?.message ?? null,
        recordsMirrored: flow?.recordsMirrored ?? -1,
      });
      await sleep(POLL_INTERVAL_MS);
    }
  })();
  return {
    samples,
    async stop() {
      polling = false;
      await loop;
    },
  };
}

async function waitForSample(
  samples: readonly Sample[],
  accept: (sample: Sample) => boolean,
  what: string,
  timeoutMs: number,
): Promise<Sample> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = samples.find(accept);
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      throw new Error(`no ${what} in ${timeoutMs} ms; last samples: ${JSON.stringify(samples.slice(-5))}`);
    }
    await sleep(50);
  }
}

async function fetchText(daemon: GeorepProcess, urlPath: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://${daemon.httpAddress}${urlPath}`);
  return { status: response.status, text: await response.text() };
}

/**
 * Every origin record is on the destination, in order, byte for byte (key, value, headers); with exactly-once,
 * read_committed sees each of them once.
 */
async function assertCompleteCopy(
  delivery: Delivery,
  flow: OutageFlow,
  daemon: GeorepProcess,
  signal: AbortSignal,
): Promise<string> {
  const { topic, destinationTopic, flowKey } = flow;
  await run.waitUntilCaughtUp(daemon, { topic, flowKey, signal });
  const report =
    delivery === 'exactly-once'
      ? await compareReadCommitted(flow, signal)
      : (await run.readCopy({ topic, destinationTopic, signal, describe: recordDigest })).report;
  assert.equal(report.missing + report.unexpected, 0, describeCopyProblems(report));
  assert.deepEqual(report.partitionsOutOfOrder, [], describeCopyProblems(report));
  if (delivery === 'exactly-once') {
    assert.equal(report.duplicates, 0, `read_committed sees records twice:\n${describeCopyProblems(report)}`);
  }
  return `${report.originRecords} origin records, all copied; ${report.duplicates} copied twice (${delivery})`;
}

/** Both sides read with Kafka's Java consumer, read_committed: what a consumer of the exactly-once copy sees. */
async function compareReadCommitted(flow: OutageFlow, signal: AbortSignal): Promise<TopicCopyReport> {
  const read = async (brokers: string[], topic: string) =>
    contentByPartition(
      await readWithJavaConsumer({ version: run.target.toolsVersion, brokers, topic, signal }),
      PARTITIONS,
    );
  return compareTopicCopy(
    await read(run.origin, flow.topic),
    await read(run.destination, flow.destinationTopic),
  );
}

for (const [delivery, side] of DELIVERIES.flatMap((each) =>
  (['origin', 'destination'] as const).map((killed) => [each, killed] as const),
)) {
  describe(`${run.label}: ${delivery}, the ${side} broker killed -9 mid-stream`, {
    skip: run.skipReason,
  }, () => {
    test(`the flow is stalled within ${DETECTION_BOUND_MS / 1000} s, resumes after the restart, and loses nothing`, {
      timeout: 300_000,
    }, async (context) => {
      const broker: LocalKafkaCluster | undefined = run.target.clusters()[side === 'origin' ? 0 : 1]?.local;
      if (broker === undefined) {
        context.skip('needs clusters the harness started (kill -9 and restart)');
        return;
      }
      const flow = flows.get(delivery)!;
      const { flowKey } = flow;
      const georep = flow.georep!;
      let producer: SequenceProducer | null = null;
      let poller: ReturnType<typeof pollFlow> | null = null;
      try {
        producer = await startSequenceProducer({
          brokers: run.origin,
          topic: flow.topic,
          partitions: PARTITIONS,
          recordsPerSecond: RECORDS_PER_SECOND,
          firstSequence: side === 'origin' ? 0 : 5_000_000,
          withHeaders: true,
          survivesOutages: true,
        });
        await waitUntilCopying(georep, flowKey, PARTITIONS, context.signal);
        await sleep(2_000); // streaming steadily
        poller = pollFlow(georep, flowKey);
        await waitForSample(poller.samples, (s) => s.state === 'running', 'running flow', 10_000);

        const killedAtMs = Date.now();
        await broker.kill();
        const detected = await waitForSample(
          poller.samples,
          (s) => s.atMs > killedAtMs && s.state !== 'running',
          'flow leaving running',
          DETECTION_BOUND_MS * 4,
        );
        const detectionMs = detected.atMs - killedAtMs;
        context.diagnostic(
          `${delivery}, ${side} killed: flow ${detected.state} after ${detectionMs} ms: ${detected.message}`,
        );
        assert.equal(detected.state, 'stalled', JSON.stringify(detected));
        assert.equal(detected.reason, `${side}-unavailable`);
        assert.match(detected.message ?? '', new RegExp(`^${side} ${side} does not answer: \\S`));
        assert.ok(detectionMs <= DETECTION_BOUND_MS, `detected after ${detectionMs} ms`);

        const status = await runGeorepCommand(['status', '--daemon', georep.httpAddress]);
        assert.equal(status.code, 1, `georep status exits 1 while the flow is stalled:\n${status.stdout}`);
        assert.match(status.stdout, new RegExp(`\\sstalled\\s.*${side}-unavailable: `));
        const ready = await fetchText(georep, '/readyz');
        assert.equal(ready.status, 503, ready.text);
        assert.match(ready.text, /stalled/);
        const metrics = (await fetchText(georep, '/metrics')).text;
        assert.equal(sampleValue(metrics, 'georep_flows', 'state="stalled"'), 1);
        assert.ok(
          (sampleValue(metrics, 'georep_flow_stalls_total', `reason="${side}-unavailable"`) ?? 0) >= 1,
        );

        await sleep(Math.max(0, detected.atMs + OUTAGE_MS - Date.now()));
        const restartingAtMs = Date.now();
        await broker.restart({ signal: context.signal });
        const answeringAtMs = Date.now();
        const whileDown = poller.samples.filter((s) => s.atMs >= detected.atMs && s.atMs <= restartingAtMs);
        assert.deepEqual(
          [...new Set(whileDown.map((s) => `${s.state} ${s.reason}`))],
          [`stalled ${side}-unavailable`],
          'the flow stays stalled while the broker is down',
        );
        const copiedBefore = poller.samples.at(-1)?.recordsMirrored ?? 0;
        const resumed = await waitForSample(
          poller.samples,
          (s) => s.atMs > answeringAtMs && s.state === 'running' && s.recordsMirrored > copiedBefore,
          'flow copying again',
          RESUME_BOUND_MS * 4,
        );
        const resumeMs = resumed.atMs - answeringAtMs;
        context.diagnostic(
          `${delivery}, ${side} restarted (took ${answeringAtMs - restartingAtMs} ms to answer): copying again ${resumeMs} ms after it answered`,
        );
        assert.ok(resumeMs <= RESUME_BOUND_MS, `resumed after ${resumeMs} ms`);

        await poller.stop();
        poller = null;
        await producer.stop();
        producer = null;
        context.diagnostic(await assertCompleteCopy(delivery, flow, georep, context.signal));
        assert.equal((await runGeorepCommand(['status', '--daemon', georep.httpAddress])).code, 0);
      } finally {
        await poller?.stop();
        await producer?.stop().catch(() => undefined);
        if (!broker.running) await broker.restart({ signal: context.signal });
      }
    });
  });
}
