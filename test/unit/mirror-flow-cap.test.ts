// A flow held back by its replication's bandwidth cap: stopping it (a reload, SIGTERM) does not wait out the grace
// period meant for writes in flight, since a flow waiting for the cap is writing nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ByteRateLimiter } from '../../src/runtime/bandwidth-caps.js';
import { MirrorFlow } from '../../src/runtime/mirror-flow.js';
import { InMemoryKafka } from '../support/in-memory-kafka.js';
import { ordersFlowSpec, quickFlowDependencies } from '../support/mirror-flow-fixtures.js';

test('a flow waiting for the cap stops at once, and writes nothing of the batch it held', async () => {
  const origin = new InMemoryKafka('a');
  const destination = new InMemoryKafka('b');
  const originAdmin = origin.createAdmin();
  await originAdmin.createTopic({
    name: 'orders',
    partitionCount: 1,
    replicationFactor: 1,
    configs: new Map(),
  });
  const record = { key: null, value: Buffer.alloc(1000), headers: [], timestampMs: 0 };
  await origin.createSink().write('orders', 0, [record]);
  const cap = new ByteRateLimiter(1024, Date.now);
  cap.spend(61_000); // a minute owed
  let waiting = false;
  const reserve = cap.reserve.bind(cap);
  cap.reserve = (bytes, signal) => {
    waiting = true;
    return reserve(bytes, signal);
  };
  const deps = {
    ...quickFlowDependencies({
      origin,
      destination,
      originAdmin,
      destinationAdmin: destination.createAdmin(),
      sink: destination.createSink(),
    }),
    bandwidthCaps: { of: () => cap },
    stopGraceMs: 20_000,
  };
  const flow = new MirrorFlow(ordersFlowSpec, deps);
  for (let waitedMs = 0; !waiting; waitedMs += 10) {
    if (waitedMs > 5_000) throw new Error('the flow did not reach the cap in 5 s');
    await sleep(10);
  }
  const startedAt = Date.now();
  await flow.stop();
  const stopMs = Date.now() - startedAt;
  assert.ok(stopMs < 5_000, `stopped in ${stopMs} ms; the grace period is 20 s`);
  assert.equal(flow.status().state, 'stopped');
  assert.equal(destination.partitionLog('a.orders', 0).records.length, 0);
});
