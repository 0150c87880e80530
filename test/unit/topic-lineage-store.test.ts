// Where readLineage looks (src/runtime/topic-lineage-store.ts): the lane's lineage group first, the flow's old
// group only where the lane's has none for the topic, and it says which.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readLineage, writeLineage } from '../../src/runtime/topic-lineage-store.js';
import { InMemoryKafka } from '../support/in-memory-kafka.js';

const LANE = 'georep.a.b.prefix.lineage';
const OLD = 'georep.a.b.orders.a.orders.lineage';
const current = { originTopicId: 'ORIGIN', destinationTopicId: 'COPY' };
const older = { originTopicId: 'ORIGIN-OLD', destinationTopicId: 'COPY' };

test('a lineage is read from the lane group, else from the old group, and says which', async () => {
  const cases = [
    {
      why: 'both hold one: the lane group wins',
      lane: current,
      old: older,
      read: current,
      fromPrevious: false,
    },
    { why: 'only the old group holds one', lane: null, old: older, read: older, fromPrevious: true },
    { why: 'only the lane group holds one', lane: current, old: null, read: current, fromPrevious: false },
    { why: 'neither holds one', lane: null, old: null, read: null, fromPrevious: false },
  ];
  for (const { why, lane, old, read, fromPrevious } of cases) {
    const admin = new InMemoryKafka().createAdmin();
    await admin.createTopic({ name: 'orders', partitionCount: 2, replicationFactor: 1, configs: new Map() });
    if (lane !== null) await writeLineage(admin, LANE, 'orders', lane);
    if (old !== null) await writeLineage(admin, OLD, 'orders', old);
    assert.deepEqual(
      await readLineage(admin, { groupId: LANE, previousGroupId: OLD }, 'orders'),
      { lineage: read, fromPreviousGroup: fromPrevious },
      why,
    );
  }
});

test('a flow not on a lane yet reads its own group once, and its lineage is not from a previous group', async () => {
  const admin = new InMemoryKafka().createAdmin();
  await admin.createTopic({ name: 'orders', partitionCount: 1, replicationFactor: 1, configs: new Map() });
  await writeLineage(admin, OLD, 'orders', current);
  assert.deepEqual(await readLineage(admin, { groupId: OLD, previousGroupId: OLD }, 'orders'), {
    lineage: current,
    fromPreviousGroup: false,
  });
});

test('a topic that is gone has no lineage', async () => {
  const admin = new InMemoryKafka().createAdmin();
  assert.deepEqual(await readLineage(admin, { groupId: LANE, previousGroupId: OLD }, 'gone'), {
    lineage: null,
    fromPreviousGroup: false,
  });
});
