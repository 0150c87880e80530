// How a sink splits one write into produce requests of at most a given size (src/kafka/write-chunks.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RecordToWrite } from '../../../src/kafka/port.js';
import { chunksOfAtMost } from '../../../src/kafka/write-chunks.js';

describe('the sink splits a write into requests', () => {
  const record = (valueBytes: number): RecordToWrite => ({
    key: null,
    value: Buffer.alloc(valueBytes),
    headers: [],
    timestampMs: 0,
  });

  test('keeps order and puts as many records as fit into each request', () => {
    const records = [record(400), record(400), record(400), record(100)];
    const chunks = chunksOfAtMost(records, 1000);
    assert.deepEqual(
      chunks.map((chunk) => chunk.length),
      [2, 2],
    );
    assert.deepEqual(chunks.flat(), records);
  });

  test('sends a record larger than the limit on its own instead of dropping it', () => {
    const chunks = chunksOfAtMost([record(10), record(5000), record(10)], 1000);
    assert.deepEqual(
      chunks.map((chunk) => chunk.map((r) => r.value!.length)),
      [[10], [5000], [10]],
    );
  });
});
