// The group sync against the in-memory Kafka double: which groups it follows, what it checkpoints on the
// destination and what it commits there.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaAdmin } from '../../src/kafka/port.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { desiredGroupSyncs } from '../../src/plan/group-syncs.js';
import { checkpointsTopic, readCompactedTopic } from '../../src/runtime/compacted-topic.js';
import { GroupSync } from '../../src/runtime/group-sync.js';
import { OffsetSyncStore } from '../../src/runtime/offset-sync-store.js';
import { InMemoryKafka } from '../support/in-memory-kafka.js';
import { parse } from './config/helpers.js';

const syncs: GroupSync[] = [];
after(async () => {
  await Promise.all(syncs.map((sync) => sync.stop()));
});

async function committed(admin: KafkaAdmin, group: string): Promise<(bigint | null)[]> {
  return (await admin.committedOffsets(group, ['orders'])).map((entry) => entry.offset);
}

async function setup() {
  const loaded = parse(
    [
      'clusters:',
      '  london: { bootstrap: [a:9092] }',
      '  frankfurt: { bootstrap: [b:9092] }',
      'replications:',
      '  - origin: london',
      '    destinations: [frankfurt]',
      '    topics: { include: [orders] }',
      '    naming: identity',
      '    groups: { include: ["billing*", "georep*"], exclude: ["*-test"] }',
      'daemon: { groupSyncIntervalMs: 60000 }',
    ].join('\n'),
  );
  assert.ok(loaded.ok);
  const [spec] = desiredGroupSyncs(loaded.config);
  assert.ok(spec !== undefined);
  const origin = new InMemoryKafka('london');
  const destination = new InMemoryKafka('frankfurt');
  const originAdmin = origin.createAdmin();
  const destinationAdmin = destination.createAdmin();
  for (const admin of [originAdmin, destinationAdmin])
    await admin.createTopic({ name: 'orders', partitionCount: 1, replicationFactor: 1, configs: new Map() });
  // The flow copied origin 0-9 to destination 100-109 (the destination topic held 100 records before).
  const store = new OffsetSyncStore();
  store.recordWrite(
    'orders',
    0,
    [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n],
    [{ firstOffset: 100n, recordCount: 10 }],
    10n,
  );
  for (const group of ['billing', 'billing-test', 'georep-london-flow'])
    await originAdmin.setCommittedOffsets(group, 'orders', [{ partition: 0, offset: 4n }]);
  const sync = new GroupSync(spec, {
    originAdmin,
    destination,
    destinationAdmin,
    destinationSink: destination.createSink(),
    store,
    mirroredTopics: () => [{ originTopic: 'orders', destinationTopic: 'orders' }],
    logger: createLogger('fatal', { write: () => undefined }),
    metrics: new Metrics(),
    nowMs: Date.now,
    readTimeoutMs: 5000,
  });
  syncs.push(sync);
  while (sync.status().lastSyncAtMs === null && sync.status().error === null) await sleep(5);
  return { sync, origin, destination, originAdmin, destinationAdmin };
}

test('follows the selected groups only: excludes win, georep’s own groups never', async () => {
  const { sync, destination, destinationAdmin } = await setup();
  assert.equal(sync.status().error, null);
  assert.deepEqual(
    sync.status().groups.map((group) => [group.group, group.translatedPartitions, group.destinationCommit]),
    [['billing', 1, 'committed']],
  );
  const checkpoints = await readCompactedTopic(
    destination,
    destinationAdmin,
    checkpointsTopic('georep'),
    'georep',
    5000,
  );
  assert.deepEqual(
    [...checkpoints].map(([key, value]) => [key, JSON.parse(value.toString()).destinationOffset]),
    [['{"group":"billing","topic":"orders","partition":0}', '104']],
  );
});

test('commits the translated offset to the idle destination group, and never moves it back', async () => {
  const { sync, originAdmin, destinationAdmin } = await setup();
  assert.deepEqual(await committed(destinationAdmin, 'billing'), [104n]);
  // Consumers ran on the destination meanwhile and got further; the origin group moves a little.
  await destinationAdmin.setCommittedOffsets('billing', 'orders', [{ partition: 0, offset: 108n }]);
  await originAdmin.setCommittedOffsets('billing', 'orders', [{ partition: 0, offset: 6n }]);
  await sync.syncOnce();
  assert.deepEqual(await committed(destinationAdmin, 'billing'), [108n]);
  assert.equal(sync.status().groups[0]?.destinationCommit, 'up-to-date');
  // A group ahead of the mirror gets the mirror's position on the destination, no further.
  await originAdmin.setCommittedOffsets('billing', 'orders', [{ partition: 0, offset: 50n }]);
  await sync.syncOnce();
  assert.deepEqual(await committed(destinationAdmin, 'billing'), [110n]);
});

test('an origin that does not answer is reported, and what the destination has stays', async () => {
  const { sync, origin, destinationAdmin } = await setup();
  origin.setUnavailable('the origin is gone');
  await assert.rejects(sync.syncOnce(), /the origin is gone/);
  assert.deepEqual(await committed(destinationAdmin, 'billing'), [104n]);
});
