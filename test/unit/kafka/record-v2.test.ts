// georep's v2 record encoder (src/kafka/record-v2.ts) byte for byte, and read back with @platformatic/kafka's
// record reader: code that is not ours.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Reader, readRecord } from '@platformatic/kafka';
import type { RecordHeader } from '../../../src/kafka/port.js';
import {
  type RecordV2,
  sizeOfRecordV2,
  sizeOfVarint,
  sizeOfVarlong,
  writeRecordV2,
  writeVarint,
  writeVarlong,
} from '../../../src/kafka/record-v2.js';

/** A record, its length prefix included, as a batch carries it. */
function encodeRecordV2(record: RecordV2): Buffer {
  const size = sizeOfRecordV2(record);
  const out = Buffer.alloc(size.total);
  writeRecordV2(out, 0, record, size);
  return out;
}

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/**
 * Reads an encoded record back with @platformatic/kafka's record reader (code that is not ours), checking that
 * its length prefix counts exactly the bytes after it.
 */
function decodeEncoded(encoded: Buffer): RecordV2 {
  const reader = Reader.from(encoded);
  const read = readRecord(reader);
  assert.equal(reader.position, encoded.length, 'the record ends where the buffer ends');
  assert.equal(read.length, encoded.length - sizeOfVarint(read.length), 'length prefix matches the body');
  return {
    attributes: read.attributes,
    timestampDelta: read.timestampDelta,
    offsetDelta: read.offsetDelta,
    key: read.key ?? null,
    value: read.value ?? null,
    headers: read.headers.map(([key, value]) => ({ key: key!, value: value ?? null })),
  };
}

const baseRecord = { attributes: 0, timestampDelta: 0n, offsetDelta: 0 } as const;

describe('v2 record encoding, byte for byte', () => {
  test('a record with a null key, a one-byte value and one null-valued header has the bytes the spec gives', () => {
    const encoded = encodeRecordV2({
      ...baseRecord,
      key: null,
      value: Buffer.from('v'),
      headers: [{ key: Buffer.from('a'), value: null }],
    });
    // length 10 (zigzag 0x14), attributes 0, timestamp delta 0, offset delta 0, key -1 (0x01),
    // value length 1 (0x02) 'v', 1 header (0x02), key length 1 (0x02) 'a', value -1 (0x01)
    assert.deepEqual(encoded, hex('14 00 00 00 01 02 76 02 02 61 01'));
  });

  test('an empty key and value are written as length 0, unlike null (-1)', () => {
    const empty = encodeRecordV2({
      ...baseRecord,
      key: Buffer.alloc(0),
      value: Buffer.alloc(0),
      headers: [],
    });
    const nulls = encodeRecordV2({ ...baseRecord, key: null, value: null, headers: [] });
    assert.deepEqual(empty, hex('0c 00 00 00 00 00 00'));
    assert.deepEqual(nulls, hex('0c 00 00 00 01 01 00'));
  });

  test('deltas are zigzag varints: negative timestamp deltas and multi-byte offset deltas', () => {
    const encoded = encodeRecordV2({
      attributes: 0,
      timestampDelta: -1n,
      offsetDelta: 64,
      key: null,
      value: null,
      headers: [],
    });
    // timestamp delta -1 -> 0x01; offset delta 64 -> zigzag 128 -> 0x80 0x01
    assert.deepEqual(encoded, hex('0e 00 01 80 01 01 01 00'));
  });

  test('header keys are counted in UTF-8 bytes, not characters', () => {
    const encoded = encodeRecordV2({
      ...baseRecord,
      key: null,
      value: null,
      headers: [{ key: Buffer.from('é'), value: null }],
    });
    // 'é' is c3 a9: key length 2 -> 0x04
    assert.deepEqual(encoded, hex('14 00 00 00 01 01 02 04 c3 a9 01'));
  });
});

describe('v2 record round trip', () => {
  const headers: RecordHeader[] = [
    { key: Buffer.from('trace'), value: Buffer.from('first') },
    { key: Buffer.from('b'), value: null },
    { key: Buffer.from('a'), value: Buffer.alloc(0) },
    { key: Buffer.from('trace'), value: Buffer.from('second') },
    { key: Buffer.from('1'), value: Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]) },
    { key: Buffer.from('__proto__'), value: Buffer.from('not a prototype') },
    { key: Buffer.from(''), value: Buffer.from('empty key') },
    { key: Buffer.from('trace'), value: null },
    { key: Buffer.from('ключ 🔑'), value: Buffer.from('unicode key') },
  ];

  test('keeps header order, repeated keys, null and empty values and non-UTF-8 value bytes', () => {
    const record: RecordV2 = {
      attributes: 0,
      timestampDelta: 1234n,
      offsetDelta: 7,
      key: Buffer.from([0x00, 0xff]),
      value: Buffer.from([0xc3, 0x28, 0xa0, 0xa1]),
      headers,
    };
    const decoded = decodeEncoded(encodeRecordV2(record));
    assert.deepEqual(decoded, record);
    assert.equal(decoded.headers[1]!.value, null);
    assert.deepEqual(decoded.headers[2]!.value, Buffer.alloc(0));
  });

  test('keeps a null key apart from an empty key and a tombstone apart from an empty value', () => {
    for (const [key, value] of [
      [null, null],
      [Buffer.alloc(0), null],
      [null, Buffer.alloc(0)],
      [Buffer.alloc(0), Buffer.alloc(0)],
    ] as const) {
      const decoded = decodeEncoded(encodeRecordV2({ ...baseRecord, key, value, headers: [] }));
      assert.deepEqual([decoded.key, decoded.value], [key, value]);
    }
  });

  test('carries values long enough for multi-byte lengths', () => {
    const value = Buffer.alloc(300_000, 0xab);
    const decoded = decodeEncoded(encodeRecordV2({ ...baseRecord, key: null, value, headers: [] }));
    assert.deepEqual(decoded.value, value);
  });

  test('carries large offset deltas and the extreme int64 timestamp deltas', () => {
    // The library's reader gets the int32 extremes wrong (2^31-1 comes back as -1, -2^31 as 0: its zigzag
    // decoding overflows); the bytes written for both are checked under 'varints' below.
    for (const offsetDelta of [0, 1, -1, 0x3fffffff, -0x40000000]) {
      for (const timestampDelta of [0n, -1n, 1n << 40n, (1n << 63n) - 1n, -(1n << 63n)]) {
        const record = { attributes: 0, timestampDelta, offsetDelta, key: null, value: null, headers: [] };
        assert.deepEqual(decodeEncoded(encodeRecordV2(record)), record);
      }
    }
  });

  test('keeps non-zero attribute bits as they were read', () => {
    const record = { ...baseRecord, attributes: -3, key: null, value: null, headers: [] };
    assert.equal(decodeEncoded(encodeRecordV2(record)).attributes, -3);
  });
});

describe('varints', () => {
  const varint = (value: number) => {
    const out = Buffer.alloc(sizeOfVarint(value));
    assert.equal(writeVarint(out, 0, value), out.length);
    return out.toString('hex');
  };
  const varlong = (value: bigint) => {
    const out = Buffer.alloc(sizeOfVarlong(value));
    assert.equal(writeVarlong(out, 0, value), out.length);
    return out.toString('hex');
  };

  test('are zigzag base-128 as in Kafka and protobuf', () => {
    assert.equal(varint(0), '00');
    assert.equal(varint(-1), '01');
    assert.equal(varint(1), '02');
    assert.equal(varint(63), '7e');
    assert.equal(varint(-64), '7f');
    assert.equal(varint(64), '8001');
    assert.equal(varint(0x7fffffff), 'feffffff0f');
    assert.equal(varint(-0x80000000), 'ffffffff0f');
    assert.equal(varlong(-(1n << 63n)), 'ffffffffffffffffff01');
    assert.equal(varlong((1n << 63n) - 1n), 'feffffffffffffffff01');
  });

  test('timestamp deltas of every width round-trip through a record, the widths plain numbers hold too', () => {
    const widths = [
      0n,
      1n,
      63n,
      64n,
      (1n << 30n) - 1n,
      1n << 30n,
      1n << 31n,
      1n << 48n,
      1n << 49n,
      1n << 53n,
    ];
    const deltas = [...widths, ...widths.map((value) => -value), -(1n << 63n), (1n << 63n) - 1n];
    for (const timestampDelta of deltas) {
      const record = { ...baseRecord, timestampDelta, key: null, value: null, headers: [] };
      const encoded = encodeRecordV2(record);
      assert.equal(decodeEncoded(encoded).timestampDelta, timestampDelta, `delta ${timestampDelta}`);
    }
  });

  test('refuse values outside their width', () => {
    assert.throws(() => sizeOfVarint(0x80000000), RangeError);
    assert.throws(() => sizeOfVarint(1.5), RangeError);
    assert.throws(() => sizeOfVarlong(1n << 63n), RangeError);
  });
});
