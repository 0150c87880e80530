// How a write is split into produce requests: by size, and with compression `origin` also by the codec of
// each record's origin batch, so that every record leaves with the codec it arrived with.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CompressionCodec, RecordToWrite } from '../../../src/kafka/port.js';
import { chunksOfAtMost, writeChunks } from '../../../src/kafka/write-chunks.js';

function record(name: string, compression?: CompressionCodec): RecordToWrite {
  return {
    key: Buffer.from(name),
    value: Buffer.alloc(100),
    headers: [],
    timestampMs: 0,
    ...(compression === undefined ? {} : { compression }),
  };
}

/** Each chunk as `codec:key,key`. */
function shapeOf(chunks: ReturnType<typeof writeChunks>): string[] {
  return chunks.map(({ codec, records }) => `${codec}:${records.map((r) => r.key?.toString()).join(',')}`);
}

describe('writeChunks', () => {
  const mixed = [
    record('a', 'zstd'),
    record('b', 'zstd'),
    record('c', 'lz4'),
    record('d'),
    record('e', 'none'),
    record('f', 'zstd'),
  ];

  test('origin: consecutive records of one codec share a request; a change of codec starts a new one', () => {
    assert.deepEqual(shapeOf(writeChunks(mixed, 1_000_000, 'origin')), [
      'zstd:a,b',
      'lz4:c',
      'none:d,e',
      'zstd:f',
    ]);
  });

  test('a named codec puts every record in requests of that codec, whatever the origin used', () => {
    assert.deepEqual(shapeOf(writeChunks(mixed, 1_000_000, 'gzip')), ['gzip:a,b,c,d,e,f']);
  });

  test('requests stay within the size limit within a run of one codec', () => {
    const sameCodec = ['a', 'b', 'c', 'd'].map((name) => record(name, 'snappy'));
    assert.deepEqual(shapeOf(writeChunks(sameCodec, 260, 'origin')), ['snappy:a,b', 'snappy:c,d']);
  });
});

describe('the sink splits a write into requests', () => {
  const sized = (valueBytes: number): RecordToWrite => ({
    key: null,
    value: Buffer.alloc(valueBytes),
    headers: [],
    timestampMs: 0,
  });

  test('keeps order and puts as many records as fit into each request', () => {
    const records = [sized(400), sized(400), sized(400), sized(100)];
    const chunks = chunksOfAtMost(records, 1000);
    assert.deepEqual(
      chunks.map((chunk) => chunk.length),
      [2, 2],
    );
    assert.deepEqual(chunks.flat(), records);
  });

  test('sends a record larger than the limit on its own instead of dropping it', () => {
    const chunks = chunksOfAtMost([sized(10), sized(5000), sized(10)], 1000);
    assert.deepEqual(
      chunks.map((chunk) => chunk.map((r) => r.value!.length)),
      [[10], [5000], [10]],
    );
  });
});
