// The latency histogram is one series per replication, origin and destination, shared by the flows behind it:
// it holds the records of all of them, stays while one of them runs in this process, and goes with the last.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KafkaCluster, RecordSink } from '../../src/kafka/port.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
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
  test('the flows of a replication into one destination share one series, which goes with the last of them', async () => {
    const metrics = new Metrics();
    const orders = new FlowIdentity(flowSpec('orders'), quiet, metrics);
    const payments = new FlowIdentity(flowSpec('payments'), quiet, metrics);
    const ordersToC = new FlowIdentity(flowSpec('orders', 'c'), quiet, metrics);
    orders.latency.observe(0.02);
    payments.latency.observe(3);
    ordersToC.latency.observe(0.5);
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
    orders.latency.observe(0.02);
    payments.latency.observe(0.02);

    orders.update({ ...flowSpec('orders'), replication: 'renamed' });
    orders.latency.observe(0.04);
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
    other.observe(1);
    await flow.stop();
    other.release();
    assert.deepEqual(await latencyCounts(dependencies.metrics), []);
  });
});
