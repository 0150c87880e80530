// A flow whose stored progress vanished while it ran: Kafka drops a consumer group's offsets when the group's
// topic is deleted, so an origin topic deleted and re-created (or a deleted group) looks like this. The flow
// must not start over from `earliest` into the copy it already made; it stops with `progress-lost` (or, when the
// topic was re-created, `origin-topic-recreated`: its new id differs from the lineage the flow stored).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordToWrite } from '../../src/kafka/port.js';
import { MirrorFlow } from '../../src/runtime/mirror-flow.js';
import { InMemoryKafka } from '../support/in-memory-kafka.js';
import { ordersFlowSpec, quickFlowDependencies } from '../support/mirror-flow-fixtures.js';

const spec = ordersFlowSpec;
// The lane's group holds the flow's progress.
const groupId = spec.restartSettings.laneGroupId;

const records = (count: number): RecordToWrite[] =>
  Array.from({ length: count }, (_, index) => ({
    key: null,
    value: Buffer.from(`record ${index}`),
    headers: [],
    timestampMs: 1_700_000_000_000 + index,
  }));

function startFlow(
  origin: InMemoryKafka,
  destination: InMemoryKafka,
  flowsWithStoredProgress = new Set<string>(),
): MirrorFlow {
  return new MirrorFlow(spec, {
    ...quickFlowDependencies({
      origin,
      destination,
      originAdmin: origin.createAdmin(),
      destinationAdmin: destination.createAdmin(),
      sink: destination.createSink(),
    }),
    flowsWithStoredProgress,
  });
}

/** Cluster `a` with topic `orders` holding `recordCount` records, and an empty cluster `b`. */
async function clusters(recordCount: number) {
  const origin = new InMemoryKafka('a');
  const destination = new InMemoryKafka('b');
  await origin
    .createAdmin()
    .createTopic({ name: 'orders', partitionCount: 1, replicationFactor: 1, configs: new Map() });
  if (recordCount > 0) await origin.createSink().write('orders', 0, records(recordCount));
  return { origin, destination };
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let waitedMs = 0; !condition(); waitedMs += 10) {
    if (waitedMs > 5_000) throw new Error(`no ${what} in 5 s`);
    await sleep(10);
  }
}

test('a flow whose consumer group lost its stored progress stops with progress-lost instead of copying again', async () => {
  const { origin, destination } = await clusters(5);
  const flow = startFlow(origin, destination);
  try {
    await waitFor(() => flow.status().recordsMirrored === 5, 'copy of the 5 records');
    // The origin goes away for a moment (the flow fails and retries), and its group's offsets with it.
    origin.setUnavailable('broker restarting');
    await waitFor(() => flow.status().state === 'error', 'flow in error');
    origin.groups.get(groupId)?.committed.clear();
    origin.setUnavailable(null);

    await waitFor(() => flow.status().error?.reason === 'progress-lost', 'progress-lost');
    const status = flow.status();
    assert.equal(status.error?.retriable, false);
    assert.match(status.error?.message ?? '', /no longer holds the progress of this flow/);
    assert.match(status.error?.message ?? '', /a\.orders on b/);
    await sleep(50); // several rechecks
    assert.equal(flow.status().error?.reason, 'progress-lost', 'each recheck finds the same');
    assert.equal(destination.partitionLog('a.orders', 0).records.length, 5, 'nothing copied a second time');
  } finally {
    await flow.stop();
  }
});

test('a flow that never stored progress adopts the topic it made when it retries', async () => {
  const { origin, destination } = await clusters(0);
  const flow = startFlow(origin, destination);
  try {
    await waitFor(() => flow.status().state === 'running', 'flow running');
    origin.setUnavailable('broker restarting');
    await waitFor(() => flow.status().state === 'error', 'flow in error');
    origin.setUnavailable(null);
    await origin.createSink().write('orders', 0, records(3));
    await waitFor(() => flow.status().recordsMirrored === 3, 'copy of the 3 records');
    assert.equal(flow.status().state, 'running');
  } finally {
    await flow.stop();
  }
});

test('a new flow of the same group, started after the old one stopped, also finds its progress lost', async () => {
  const { origin, destination } = await clusters(5);
  // What the daemon keeps across flows: the flow stopped when its topic left the listing, a new one starts
  // when it is back.
  const flowsWithStoredProgress = new Set<string>();
  const first = startFlow(origin, destination, flowsWithStoredProgress);
  try {
    await waitFor(() => first.status().recordsMirrored === 5, 'copy of the 5 records');
  } finally {
    await first.stop();
  }
  origin.groups.get(groupId)?.committed.clear();
  const second = startFlow(origin, destination, flowsWithStoredProgress);
  try {
    await waitFor(() => second.status().error?.reason === 'progress-lost', 'progress-lost');
    assert.equal(destination.partitionLog('a.orders', 0).records.length, 5, 'nothing copied a second time');
  } finally {
    await second.stop();
  }
});

test('a flow of a new process, after its origin topic was re-created, tells it by the topic id and copies nothing', async () => {
  const { origin, destination } = await clusters(5);
  const first = startFlow(origin, destination);
  try {
    await waitFor(() => first.status().recordsMirrored === 5, 'copy of the 5 records');
  } finally {
    await first.stop();
  }
  // While no georep runs: the topic is deleted (Kafka erases the group's offsets with it) and created again.
  const admin = origin.createAdmin();
  await admin.deleteTopic('orders');
  origin.groups.get(groupId)?.committed.clear();
  await admin.createTopic({ name: 'orders', partitionCount: 1, replicationFactor: 1, configs: new Map() });
  await origin.createSink().write('orders', 0, records(8));

  const second = startFlow(origin, destination); // a new process remembers no progress
  try {
    await waitFor(() => second.status().error !== null, 'flow in error');
    assert.equal(second.status().error?.reason, 'origin-topic-recreated');
    assert.equal(
      destination.partitionLog('a.orders', 0).records.length,
      5,
      'nothing of the new topic copied',
    );
  } finally {
    await second.stop();
  }
});
