import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OffsetSyncStore } from '../../src/runtime/offset-sync-store.js';

/** Which destination partitions the records persist, as `topic/partition` read from their keys. */
const partitionsOf = (changed: readonly { record: { key: Buffer } }[]) =>
  changed.map(({ record }) => {
    const { topic, partition } = JSON.parse(record.key.toString('utf8')) as {
      topic: string;
      partition: number;
    };
    return `${topic}/${partition}`;
  });

test('the partitions written since the last persist are persisted once, for the destination topics asked', () => {
  const store = new OffsetSyncStore();
  const write = (topic: string, partition: number) =>
    store.recordWrite(topic, partition, [10n], [{ firstOffset: 0n, recordCount: 1 }], 11n);
  write('london.orders', 0);
  write('london.orders', 1);
  write('london.orders', 0);
  write('london.audit', 0);
  const orders = store.changedMaps(new Set(['london.orders']));
  assert.deepEqual(partitionsOf(orders), ['london.orders/0', 'london.orders/1']);
  store.persisted(orders);
  assert.deepEqual(partitionsOf(store.changedMaps(new Set(['london.orders']))), []);
  assert.deepEqual(partitionsOf(store.changedMaps(new Set(['london.orders', 'london.audit']))), [
    'london.audit/0',
  ]);
});

test('a partition written again before its record was acknowledged stays to be persisted', () => {
  const store = new OffsetSyncStore();
  const write = (offset: bigint) =>
    store.recordWrite('london.orders', 0, [offset], [{ firstOffset: offset, recordCount: 1 }], offset + 1n);
  write(10n);
  const inFlight = store.changedMaps(new Set(['london.orders']));
  write(20n);
  store.persisted(inFlight);
  assert.deepEqual(partitionsOf(store.changedMaps(new Set(['london.orders']))), ['london.orders/0']);
});
