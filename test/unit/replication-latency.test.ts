// The latency histogram is one series per replication, origin and destination, shared by the flows behind it:
// it holds the records of all of them, stays while one of them runs in this process, and goes with the last.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import type { KafkaCluster, RecordSink } from '../../src/kafka/port.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { ReplicationLatency } from '../../src/observability/replication-latency.js';
import { type FlowSpec, flowKey } from '../../src/plan/flow-spec.js';
import { FlowIdentity } from '../../src/runtime/flow-identity.js';
import { MirrorFlow } from '../../src/runtime/mirror-flow.js';
import {
  oneTopicAdmin as admin,
  ordersFlowSpec,
  quickFlowDependencies,
} from '../support/mirror-flow-fixtures.js';

const quiet = createLogger('fatal', { write: () => undefined });

function flowSpec(topic: string, destination = 'b'): FlowSpec {
  return {
    ...ordersFlowSpec,
    key: flowKey('a', topic, destination, `a.${topic}`),
    originTopic: topic,
    destination,
  };
}

/** The `_count` lines of the latency histogram, as `labels count`. */
async function latencyCounts(metrics: Metrics): Promise<string[]> {
  const { body } = await metrics.exposition();
  return [...body.matchAll(/^georep_replication_latency_seconds_count\{(.*)\} (\d+)$/gm)].map(
    ([, labels, count]) => `${labels} ${count}`,
  );
}

describe('replication latency', () => {
  test("the exposition is prom-client's Histogram's for the same observations: buckets, bounds, +Inf, sum and count", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const latency = new ReplicationLatency(ours);
    const histogram = new Histogram({
      name: 'georep_replication_latency_seconds',
      help: "Time from a record's origin timestamp to the destination's acknowledgement of its copy, over the replication's flows into the destination.",
      labelNames: ['replication', 'origin', 'destination'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [theirs],
    });
    const labels = { replication: 'r', origin: 'a', destination: 'b' };
    const acknowledgedAtMs = 1_000_000;
    // On a bound, between bounds, above the last, and a timestamp after the acknowledgement (counted as 0).
    const agesMs = [0, 5, 7, 10, 99, 250, 2_500, 299_999, 300_000, 400_000, -30];
    latency.hold(labels).observeCopied(
      agesMs.map((ageMs) => ({ timestampMs: acknowledgedAtMs - ageMs })),
      acknowledgedAtMs,
    );
    latency.hold({ ...labels, destination: 'c' }).observeCopied([{ timestampMs: 0 }], 12);
    for (const ageMs of agesMs) histogram.observe(labels, Math.max(0, ageMs) / 1000);
    histogram.observe({ ...labels, destination: 'c' }, 0.012);
    assert.equal(await ours.metrics(), await theirs.metrics());
  });

  test('the flows of a replication into one destination share one series, which goes with the last of them', async () => {
    const metrics = new Metrics();
    const orders = new FlowIdentity(flowSpec('orders'), quiet, metrics);
    const payments = new FlowIdentity(flowSpec('payments'), quiet, metrics);
    const ordersToC = new FlowIdentity(flowSpec('orders', 'c'), quiet, metrics);
    orders.latency.observeCopied([{ timestampMs: 0 }], 20);
    payments.latency.observeCopied([{ timestampMs: 0 }], 3000);
    ordersToC.latency.observeCopied([{ timestampMs: 0 }], 500);
    assert.deepEqual(await latencyCounts(metrics), [
      'replication="r",origin="a",destination="b" 2',
      'replication="r",origin="a",destination="c" 1',
    ]);

    orders.release();
    orders.release(); // a second release of one flow must not take the series from payments
    assert.deepEqual(
      await latencyCounts(metrics),
      ['replication="r",origin="a",destination="b" 2', 'replication="r",origin="a",destination="c" 1'],
      'payments still runs into b: the series keeps every count',
    );

    payments.release();
    assert.deepEqual(await latencyCounts(metrics), ['replication="r",origin="a",destination="c" 1']);
  });

  test("a renamed replication's flows observe under the new name; the old series goes with its last flow", async () => {
    const metrics = new Metrics();
    const orders = new FlowIdentity(flowSpec('orders'), quiet, metrics);
    const payments = new FlowIdentity(flowSpec('payments'), quiet, metrics);
    orders.latency.observeCopied([{ timestampMs: 0 }], 20);
    payments.latency.observeCopied([{ timestampMs: 0 }], 20);

    orders.update({ ...flowSpec('orders'), replication: 'renamed' });
    orders.latency.observeCopied([{ timestampMs: 0 }], 40);
    assert.deepEqual(await latencyCounts(metrics), [
      'replication="r",origin="a",destination="b" 2',
      'replication="renamed",origin="a",destination="b" 1',
    ]);

    payments.update({ ...flowSpec('payments'), replication: 'renamed' });
    assert.deepEqual(await latencyCounts(metrics), ['replication="renamed",origin="a",destination="b" 1']);
  });

  test("a stopped flow gives up its hold on its replication's series", async () => {
    const sink: RecordSink = { write: async () => [], close: async () => undefined };
    const cluster: KafkaCluster = {
      name: 'a',
      createAdmin: () => admin('orders'),
      createSource: () => {
        throw new Error('a flow reads through its lane');
      },
      createLaneSource: () => ({
        run: () => new Promise(() => undefined), // copies nothing until stopped
        pause: () => undefined,
        resume: () => undefined,
        stop: async () => undefined,
        partitionsAdded: async () => undefined,
        fetchedEndOffsets: () => [],
      }),
      createSink: () => sink,
    };
    const dependencies = quickFlowDependencies({
      origin: cluster,
      destination: cluster,
      originAdmin: admin('orders'),
      destinationAdmin: admin('a.orders'),
      sink,
    });
    const flow = new MirrorFlow(ordersFlowSpec, dependencies);
    // Another holder of the same series observes, and lets go once the flow has stopped: the series goes only
    // if the flow let go too.
    const other = dependencies.metrics.replicationLatency.hold({
      replication: 'r',
      origin: 'a',
      destination: 'b',
    });
    other.observeCopied([{ timestampMs: 0 }], 1000);
    await flow.stop();
    other.release();
    assert.deepEqual(await latencyCounts(dependencies.metrics), []);
  });
});
