import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OffsetSyncStore } from '../../src/runtime/offset-sync-store.js';

/** Which destination partitions the records persist, as `topic/partition`. */
const partitionsOf = (records: readonly { key: Buffer }[]) =>
  records.map((record) => {
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
  const orders = store.changedRecords(new Set(['london.orders']));
  assert.deepEqual(partitionsOf(orders), ['london.orders/0', 'london.orders/1']);
  store.persisted(orders);
  assert.deepEqual(partitionsOf(store.changedRecords(new Set(['london.orders']))), []);
  assert.deepEqual(partitionsOf(store.changedRecords(new Set(['london.orders', 'london.audit']))), [
    'london.audit/0',
  ]);
});
