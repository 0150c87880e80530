// One partition's part of a fetch response, its batches decoded (decodeBatch), turned into the port's records:
// timestamps and their type from the batch (LogAppendTime is the batch's max timestamp, which the library loses),
// markers and aborted records dropped with the next offset past them, nothing before the fetch offset.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReceivedBatch } from '../../../src/kafka/platformatic/fetch-response.js';
import { readPartition } from '../../../src/kafka/platformatic/record-batches.js';
import type { RecordV2 } from '../../../src/kafka/record-v2.js';

const LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
const GZIP = 0x01;

function record(offsetDelta: number, fields: Partial<RecordV2> = {}): RecordV2 {
  return {
    attributes: 0,
    timestampDelta: offsetDelta,
    offsetDelta,
    key: Buffer.from(`key-${offsetDelta}`),
    value: Buffer.from(`value-${offsetDelta}`),
    headers: [],
    ...fields,
  };
}

function batch(firstOffset: number, records: RecordV2[], fields: Partial<ReceivedBatch> = {}): ReceivedBatch {
  return {
    firstOffset: BigInt(firstOffset),
    length: 100,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes: 0,
    lastOffsetDelta: records.length - 1,
    firstTimestamp: 1_700_000_000_000n,
    maxTimestamp: 1_700_000_000_500n,
    producerId: -1n,
    producerEpoch: -1,
    firstSequence: -1,
    records,
    ...fields,
  };
}

function marker(offset: number, producerId: bigint, type: 'abort' | 'commit'): ReceivedBatch {
  const key = Buffer.from([0, 0, 0, type === 'abort' ? 0 : 1]);
  return batch(offset, [record(0, { key, value: Buffer.from([0, 0, 0, 0, 0, 0]) })], {
    attributes: TRANSACTIONAL | CONTROL,
    producerId,
  });
}

describe('a partition of a fetch response read into records', () => {
  test('CreateTime records carry the first timestamp plus their delta; LogAppendTime records the batch max timestamp', () => {
    const { records } = readPartition(
      3,
      0n,
      [
        batch(0, [record(0, { timestampDelta: 7 }), record(1, { timestampDelta: -5 })]),
        batch(2, [record(0), record(1, { timestampDelta: 3 })], { attributes: LOG_APPEND_TIME }),
      ],
      null,
    );
    assert.deepEqual(
      records.map((entry) => [entry.partition, entry.offset, entry.timestampMs, entry.timestampType]),
      [
        [3, 0n, 1_700_000_000_007, 'create-time'],
        [3, 1n, 1_699_999_999_995, 'create-time'],
        [3, 2n, 1_700_000_000_500, 'log-append-time'],
        [3, 3n, 1_700_000_000_500, 'log-append-time'],
      ],
    );
  });

  test('keys, values and headers are kept as they came: null apart from empty, header order, repeats, null values, key bytes that are not UTF-8', () => {
    const headers = [
      { key: Buffer.from('b'), value: Buffer.from('1') },
      { key: Buffer.from('a'), value: null },
      { key: Buffer.from('b'), value: Buffer.alloc(0) },
      { key: Buffer.from([0xff, 0xfe, 0x6b]), value: Buffer.from('x') },
    ];
    const { records } = readPartition(
      0,
      0n,
      [batch(0, [record(0, { key: null, value: null, headers }), record(1, { key: Buffer.alloc(0) })])],
      null,
    );
    assert.deepEqual(
      records.map((entry) => [entry.key, entry.value, entry.headers]),
      [
        [
          null,
          null,
          [
            { key: Buffer.from('b'), value: Buffer.from('1') },
            { key: Buffer.from('a'), value: null },
            { key: Buffer.from('b'), value: Buffer.alloc(0) },
            { key: Buffer.from([0xff, 0xfe, 0x6b]), value: Buffer.from('x') },
          ],
        ],
        [Buffer.alloc(0), Buffer.from('value-1'), []],
      ],
    );
  });

  test('records of a batch before the fetch offset are left out', () => {
    const read = readPartition(0, 12n, [batch(10, [record(0), record(1), record(2), record(3)])], null);
    assert.deepEqual(
      read.records.map((entry) => entry.offset),
      [12n, 13n],
    );
    assert.equal(read.nextOffset, 14n);
  });

  test('markers and aborted records are dropped, and the next offset moves past the trailing ones', () => {
    const producer = 42n;
    const inTransaction = { attributes: TRANSACTIONAL, producerId: producer };
    const read = readPartition(
      0,
      0n,
      [
        batch(0, [record(0), record(1)], inTransaction),
        marker(2, producer, 'commit'),
        batch(3, [record(0)], inTransaction),
        marker(4, producer, 'abort'),
        batch(5, [record(0)], inTransaction),
      ],
      [
        { producerId: producer, firstOffset: 3n },
        { producerId: producer, firstOffset: 5n },
      ],
    );
    assert.deepEqual(
      read.records.map((entry) => entry.offset),
      [0n, 1n],
    );
    assert.equal(read.nextOffset, 6n, 'past the aborted batch whose marker is not in this fetch');
  });

  test('a fetch of markers only hands on nothing and moves the next offset past them', () => {
    const read = readPartition(0, 7n, [marker(7, 1n, 'commit'), marker(8, 2n, 'abort')], []);
    assert.deepEqual(read.records, []);
    assert.equal(read.nextOffset, 9n);
  });

  test('a fetch that brought nothing stays at the fetch offset', () => {
    assert.deepEqual(readPartition(0, 5n, [], null), {
      records: [],
      nextOffset: 5n,
      bytes: 0,
      receivedBytes: 0,
    });
  });

  test('a compressed batch counts the bytes it decoded to as well as the bytes it came in', () => {
    const records = [record(0, { key: null, value: Buffer.alloc(1000) })];
    const plain = readPartition(0, 0n, [batch(0, records, { length: 50 })], null);
    const compressed = readPartition(0, 0n, [batch(0, records, { length: 50, attributes: GZIP })], null);
    assert.equal(plain.bytes, 62);
    assert.equal(compressed.bytes, 1062);
    assert.equal(compressed.receivedBytes, 62, 'what the fetch counted: the batch as it came');
  });

  test('each record carries the codec of the batch it came in, so that its copy can leave with it', () => {
    const { records } = readPartition(
      0,
      0n,
      [
        batch(0, [record(0)], { attributes: 0x04 | TRANSACTIONAL }),
        batch(1, [record(0)], { attributes: 0x03 | LOG_APPEND_TIME }),
        batch(2, [record(0)], { attributes: 0x02 }),
        batch(3, [record(0)], { attributes: GZIP }),
        batch(4, [record(0)]),
      ],
      null,
    );
    assert.deepEqual(
      records.map((entry) => entry.compression),
      ['zstd', 'lz4', 'snappy', 'gzip', 'none'],
    );
  });

  describe('which batches a sink may forward as they came', () => {
    const RECEIVED = Buffer.from('the batch as received');
    const received = (firstOffset: number, records: RecordV2[], fields: Partial<ReceivedBatch> = {}) => ({
      ...batch(firstOffset, records, fields),
      received: RECEIVED,
    });
    /** Per record: whether it comes with an origin batch to forward. */
    const forwardable = (read: ReturnType<typeof readPartition>) =>
      read.records.map((entry) => entry.originBatch !== undefined);

    test('a batch handed on whole offers itself, with its bytes, its codec and the very records read from it', () => {
      const read = readPartition(
        0,
        10n,
        [received(10, [record(0), record(1)], { attributes: 0x04 | TRANSACTIONAL })],
        null,
      );
      const originBatch = read.records[0]!.originBatch!;
      assert.equal(originBatch.received, RECEIVED);
      assert.equal(originBatch.codec, 'zstd');
      assert.deepEqual(originBatch.records, read.records);
      assert.ok(originBatch.records.every((entry, index) => entry === read.records[index]));
      assert.equal(read.records[1]!.originBatch, originBatch);
    });

    test('a batch that starts before the fetch offset, has LogAppendTime, offset gaps or no bytes kept is not offered', () => {
      const read = readPartition(
        0,
        11n,
        [
          received(10, [record(0), record(1)]),
          received(12, [record(0)], { attributes: LOG_APPEND_TIME }),
          received(13, [record(0), record(2)], { lastOffsetDelta: 2 }),
          batch(16, [record(0)]),
          received(17, [record(0)], { attributes: GZIP }),
        ],
        null,
      );
      assert.deepEqual(forwardable(read), [false, false, false, false, false, true]);
    });

    test('the data batches of a committed transaction are offered; aborted ones are dropped', () => {
      const inTransaction = { attributes: TRANSACTIONAL, producerId: 42n };
      const read = readPartition(
        0,
        0n,
        [
          received(0, [record(0)], inTransaction),
          marker(1, 42n, 'commit'),
          received(2, [record(0)], inTransaction),
          marker(3, 42n, 'abort'),
        ],
        [{ producerId: 42n, firstOffset: 2n }],
      );
      assert.deepEqual(forwardable(read), [true]);
    });
  });
});
