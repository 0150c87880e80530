import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsumedRecord } from '../../src/kafka/port.js';
import { withLoopPrevention } from '../../src/runtime/loop-prevention.js';

function record(offset: number, headers: ConsumedRecord['headers'] = []): ConsumedRecord {
  return {
    partition: 0,
    offset: BigInt(offset),
    timestampMs: 1_700_000_000_000,
    timestampType: 'create-time',
    key: null,
    value: Buffer.from(`v${offset}`),
    headers,
  };
}

const flow = (loopPrevention: 'none' | 'header') => ({
  origin: 'london',
  destination: 'frankfurt',
  restartSettings: {
    originConnection: '',
    destinationConnection: '',
    originCredentials: 0,
    destinationCredentials: 0,
    delivery: 'at-least-once' as const,
    compression: 'origin' as const,
    loopPrevention,
    replicationFactor: 'auto' as const,
    topicConfigExclude: [],
    consumerGroupId: 'g',
    laneGroupId: 'g.lane',
  },
});

describe('withLoopPrevention', () => {
  test('without loop prevention, records pass exactly as they are', () => {
    const records = [record(0, [{ key: Buffer.from('georep-origin'), value: Buffer.from('frankfurt') }])];
    assert.equal(withLoopPrevention(records, flow('none')), records);
  });

  test('marks local records with their origin cluster, after their own headers', () => {
    const [copied] = withLoopPrevention(
      [record(0, [{ key: Buffer.from('trace'), value: null }])],
      flow('header'),
    );
    assert.deepEqual(copied?.headers, [
      { key: Buffer.from('trace'), value: null },
      { key: Buffer.from('georep-origin'), value: Buffer.from('london') },
    ]);
  });

  test('drops records that came from the destination and keeps the mark of records from a third cluster', () => {
    const fromDestination = record(1, [
      { key: Buffer.from('georep-origin'), value: Buffer.from('frankfurt') },
    ]);
    const fromDublin = record(2, [{ key: Buffer.from('georep-origin'), value: Buffer.from('dublin') }]);
    const kept = withLoopPrevention([record(0), fromDestination, fromDublin], flow('header'));
    assert.deepEqual(
      kept.map((r) => r.value?.toString()),
      ['v0', 'v2'],
    );
    assert.deepEqual(kept[1]?.headers, fromDublin.headers);
  });
});
