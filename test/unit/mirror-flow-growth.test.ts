// An origin topic that grows while its flow runs: the destination gets the partitions first, then the flow reads
// the new ones from its lane, without a restart (nothing else of the lane moves).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MirrorFlow } from '../../src/runtime/mirror-flow.js';
import { InMemoryKafka } from '../support/in-memory-kafka.js';
import { ordersFlowSpec, quickFlowDependencies } from '../support/mirror-flow-fixtures.js';

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let waitedMs = 0; !condition(); waitedMs += 10) {
    if (waitedMs > 5_000) throw new Error(`no ${what} in 5 s`);
    await sleep(10);
  }
}

test('a grown origin topic is read whole by the running flow, which is not restarted', async () => {
  const origin = new InMemoryKafka('a');
  const destination = new InMemoryKafka('b');
  const originAdmin = origin.createAdmin();
  await originAdmin.createTopic({
    name: 'orders',
    partitionCount: 1,
    replicationFactor: 1,
    configs: new Map(),
  });
  const record = { key: null, value: Buffer.from('v'), headers: [], timestampMs: 0 };
  await origin.createSink().write('orders', 0, [record]);
  const deps = quickFlowDependencies({
    origin,
    destination,
    originAdmin,
    destinationAdmin: destination.createAdmin(),
    sink: destination.createSink(),
  });
  const flow = new MirrorFlow({ ...ordersFlowSpec, partitions: 1 }, deps);
  try {
    await waitFor(() => flow.status().recordsMirrored === 1, 'copy of partition 0');
    await originAdmin.createPartitions('orders', 2);
    await origin.createSink().write('orders', 1, [record]);
    await flow.update({ ...ordersFlowSpec, partitions: 2 });
    await waitFor(() => flow.status().recordsMirrored === 2, 'copy of the new partition');
    assert.equal(destination.partitionLog('a.orders', 1).records.length, 1);
    assert.equal(flow.status().state, 'running');
    assert.equal(flow.status().failedAttempts, 0);
  } finally {
    await flow.stop();
  }
});
