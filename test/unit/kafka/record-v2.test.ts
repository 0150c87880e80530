// georep's v2 record encoder (src/kafka/record-v2.ts) byte for byte, and read back with @platformatic/kafka's
// record reader: code that is not ours.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Reader, readRecord } from '@platformatic/kafka';
import type { RecordHeader } from '../../../src/kafka/port.js';
import {
  type RecordV2,
  RecordV2Reader,
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
    timestampDelta: Number(read.timestampDelta),
    offsetDelta: read.offsetDelta,
    key: read.key ?? null,
    value: read.value ?? null,
    headers: read.headers.map(([key, value]) => ({ key: key!, value: value ?? null })),
  };
}

/** The largest number within int64: 2^63 - 1 is not a number. */
const INT64_MAX_NUMBER = 2 ** 63 - 1024;

const baseRecord = { attributes: 0, timestampDelta: 0, offsetDelta: 0 } as const;

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
      timestampDelta: -1,
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
      timestampDelta: 1234,
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
      for (const timestampDelta of [0, -1, 2 ** 40, INT64_MAX_NUMBER, -(2 ** 63)]) {
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
  const varlong = (value: number) => {
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
    assert.equal(varlong(-(2 ** 63)), 'ffffffffffffffffff01');
    assert.equal(varlong(INT64_MAX_NUMBER), '80f0ffffffffffffff01');
  });

  test('timestamp deltas of every width round-trip through a record, the widths plain numbers hold too', () => {
    const widths = [0, 1, 63, 64, 2 ** 30 - 1, 2 ** 30, 2 ** 31, 2 ** 48, 2 ** 49, 2 ** 53];
    const deltas = [
      ...widths,
      ...widths.filter((value) => value > 0).map((value) => -value),
      -(2 ** 63),
      INT64_MAX_NUMBER,
    ];
    for (const timestampDelta of deltas) {
      const record = { ...baseRecord, timestampDelta, key: null, value: null, headers: [] };
      const encoded = encodeRecordV2(record);
      assert.equal(decodeEncoded(encoded).timestampDelta, timestampDelta, `delta ${timestampDelta}`);
    }
  });

  test('refuse values outside their width', () => {
    assert.throws(() => sizeOfVarint(0x80000000), RangeError);
    assert.throws(() => sizeOfVarint(1.5), RangeError);
    assert.throws(() => sizeOfVarlong(2 ** 63), RangeError);
    assert.throws(() => sizeOfVarlong(2 ** 40 + 0.5), RangeError);
  });
});

describe('reading records back (RecordV2Reader)', () => {
  const headers: RecordHeader[] = [
    { key: Buffer.from('trace'), value: Buffer.from('first') },
    { key: Buffer.from('b'), value: null },
    { key: Buffer.from('trace'), value: Buffer.alloc(0) },
    { key: Buffer.from('ключ 🔑'), value: Buffer.from([0xff, 0xfe, 0x00]) },
  ];
  const records: RecordV2[] = [
    { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: null, headers: [] },
    {
      attributes: -3,
      timestampDelta: -1,
      offsetDelta: 1,
      key: Buffer.alloc(0),
      value: Buffer.alloc(0),
      headers,
    },
    { ...baseRecord, key: Buffer.from([0x00, 0xff]), value: Buffer.alloc(300_000, 0xab), headers: [] },
    // The int32 extremes, which the library's reader gets wrong, and timestamp deltas around and beyond 2^53.
    { ...baseRecord, offsetDelta: 0x7fffffff, timestampDelta: 2 ** 53, key: null, value: null, headers: [] },
    {
      ...baseRecord,
      offsetDelta: -0x80000000,
      timestampDelta: -(2 ** 53),
      key: null,
      value: null,
      headers: [],
    },
    { ...baseRecord, offsetDelta: 64, timestampDelta: 2 ** 49 + 1, key: null, value: null, headers: [] },
    { ...baseRecord, timestampDelta: -(2 ** 63), key: null, value: null, headers: [] },
    { ...baseRecord, timestampDelta: INT64_MAX_NUMBER, key: null, value: null, headers: [] },
  ];

  test('reads what the encoder wrote, one record after another, keys, values and headers byte for byte', () => {
    const reader = new RecordV2Reader(Buffer.concat(records.map(encodeRecordV2)));
    for (const record of records) {
      assert.deepEqual(reader.next(), record);
    }
    assert.throws(() => reader.next(), /runs past the end/, 'nothing is left after the last');
  });

  test('bits beyond 32 in a varint are dropped, as Java drops them: an offset delta stays an int32', () => {
    // offset delta ff ff ff ff 7f: Java's readVarint keeps the low 4 bits of the fifth byte, -2^31
    const read = new RecordV2Reader(hex('14 00 00 ffffffff7f 01 01 00')).next();
    assert.equal(read.offsetDelta, -(2 ** 31));
  });

  test('a timestamp delta beyond 2^53 is rounded to the nearest number once', () => {
    // int64's largest, 2^63 - 1, as a varlong, in a record with null key and value and no headers
    const read = new RecordV2Reader(hex('1e 00 feffffffffffffffff01 00 01 01 00')).next();
    assert.equal(read.timestampDelta, 2 ** 63);
  });

  test('refuses what Kafka refuses, naming what is wrong', () => {
    const encoded = encodeRecordV2(records[1]!);
    for (let cut = 0; cut < encoded.length; cut++) {
      assert.throws(
        () => new RecordV2Reader(encoded.subarray(0, cut)).next(),
        /runs past the end/,
        `cut after ${cut} bytes`,
      );
    }
    const cases: [string, Buffer, RegExp][] = [
      // length 5 (0x0a) for a body of 6 bytes
      [
        'a length prefix that does not count the body',
        hex('0a 00 00 00 01 00 00'),
        /length says 5 bytes, its fields took 6/,
      ],
      ['a negative header count', hex('0c 00 00 00 01 01 01'), /-1 headers/],
      ['a key length below -1', hex('0c 00 00 00 03 01 00'), /field of -2 bytes/],
      ['a varint of six bytes', hex('ffffffffff01'), /varint longer than 5 bytes/],
    ];
    for (const [name, bytes, error] of cases) {
      assert.throws(() => new RecordV2Reader(bytes).next(), error, name);
    }
  });
});
