// Where an exactly-once flow's partition resumes after an assignment: the first batch, fetched from the
// origin group's offset, is handed on, trimmed to the stored position, or dropped for a read from there.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resumeDecision } from '../../../src/kafka/kafkajs/source.js';
import type { ConsumedRecord } from '../../../src/kafka/port.js';

function records(...offsets: number[]): ConsumedRecord[] {
  return offsets.map((offset) => ({
    partition: 0,
    offset: BigInt(offset),
    timestampMs: 0,
    timestampType: 'create-time',
    key: null,
    value: Buffer.from(`record ${offset}`),
    headers: [],
  }));
}

const offsetsOf = (decision: ReturnType<typeof resumeDecision>) =>
  decision.kind === 'hand-on' ? decision.records.map((record) => Number(record.offset)) : decision;

describe('resumeDecision', () => {
  test('without a stored position, the batch is handed on whole', () => {
    assert.deepEqual(offsetsOf(resumeDecision(10n, records(10, 11, 12), null)), [10, 11, 12]);
  });

  test('a batch fetched exactly from the stored position is handed on whole', () => {
    assert.deepEqual(offsetsOf(resumeDecision(10n, records(10, 11, 12), 10n)), [10, 11, 12]);
  });

  test('a batch fetched after the stored position would skip records: read again from the position', () => {
    assert.deepEqual(resumeDecision(20n, records(20, 21), 12n), { kind: 'seek', offset: 12n });
  });

  test('a batch that holds the stored position loses the records already copied', () => {
    assert.deepEqual(offsetsOf(resumeDecision(10n, records(10, 11, 12, 13), 12n)), [12, 13]);
  });

  test('a batch that ends before the stored position is dropped for a read from the position', () => {
    assert.deepEqual(resumeDecision(10n, records(10, 11), 40n), { kind: 'seek', offset: 40n });
  });

  test('a batch with nothing but markers or aborted records after the position is dropped too', () => {
    // records 12 and 13 were aborted (filtered out): nothing from 12 on is left to hand on
    assert.deepEqual(resumeDecision(10n, records(10, 11), 12n), { kind: 'seek', offset: 12n });
  });
});
