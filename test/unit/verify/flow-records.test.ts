import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LoopPrevention } from '../../../src/config/types.js';
import type { ConsumedRecord, RecordHeader } from '../../../src/kafka/port.js';
import { flowRecordRules } from '../../../src/verify/flow-records.js';

const provenance = (cluster: string): RecordHeader => ({
  key: Buffer.from('georep-origin'),
  value: Buffer.from(cluster),
});

function record(offset: number, headers: RecordHeader[]): ConsumedRecord {
  return {
    partition: 0,
    offset: BigInt(offset),
    timestampMs: offset,
    timestampType: 'create-time',
    key: null,
    value: Buffer.from(`v${offset}`),
    headers,
  };
}

function flow(loopPrevention: LoopPrevention) {
  return {
    origin: 'london',
    destination: 'frankfurt',
    restartSettings: {
      originConnection: 'o',
      destinationConnection: 'd',
      originCredentials: 0,
      destinationCredentials: 0,
      delivery: 'at-least-once' as const,
      loopPrevention,
      replicationFactor: 'auto' as const,
      topicConfigExclude: [],
      compression: 'origin' as const,
      consumerGroupId: 'georep.orders',
      laneGroupId: 'georep.lane',
    },
  };
}

const header = (name: string, value: string): RecordHeader => ({
  key: Buffer.from(name),
  value: Buffer.from(value),
});

describe('which records a flow compares', () => {
  const records = [
    record(0, [header('h', '1')]),
    record(1, [provenance('frankfurt')]),
    record(2, [provenance('dublin')]),
  ];

  test('without loop prevention: every record on both sides, as it is', () => {
    const rules = flowRecordRules(flow('none'));
    assert.deepEqual(rules.expectedFromOrigin(records), records);
    assert.deepEqual(rules.copiedOnDestination(records), records);
  });

  test('with the provenance header: the origin records as the flow writes them, without those from the destination', () => {
    const expected = flowRecordRules(flow('header')).expectedFromOrigin(records);
    assert.deepEqual(
      expected.map((r) => [r.offset, r.headers.map((h) => `${h.key}=${h.value}`)]),
      [
        [0n, ['h=1', 'georep-origin=london']],
        [2n, ['georep-origin=dublin']],
      ],
    );
  });

  test("with the provenance header: the destination's own producers' records are not copies", () => {
    const onDestination = [
      record(0, []),
      record(1, [provenance('london')]),
      record(2, [provenance('frankfurt')]),
      record(3, [header('h', '1'), provenance('dublin')]),
    ];
    const copied = flowRecordRules(flow('header')).copiedOnDestination(onDestination);
    assert.deepEqual(
      copied.map((r) => r.offset),
      [1n, 3n],
    );
  });
});
