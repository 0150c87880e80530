import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import type { RecordHeader } from '../../../src/kafka/port.js';
import {
  decodeRecordV2Body,
  encodeRecordV2,
  RecordFormatError,
  type RecordV2,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
} from '../../../src/kafka/record-v2.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** Splits an encoded record into its length prefix and body, checking the prefix against the body's size. */
function decodeEncoded(encoded: Buffer): RecordV2 {
  let length = 0;
  let multiplier = 1;
  let position = 0;
  for (;;) {
    const byte = encoded[position++]!;
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) break;
  }
  const bodyLength = length / 2; // zigzag of a non-negative length
  assert.equal(encoded.length - position, bodyLength, 'length prefix matches the body');
  return decodeRecordV2Body(encoded, position);
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

  test('carries the extreme int32 offset deltas and int64 timestamp deltas', () => {
    for (const offsetDelta of [0, 1, -1, 0x7fffffff, -0x80000000]) {
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

describe('v2 record decoding rejects malformed bytes', () => {
  const body = hex('00 00 00 01 02 76 02 02 61 01');

  test('accepts the well-formed body', () => {
    assert.equal(decodeRecordV2Body(body).headers.length, 1);
  });

  test('a body cut anywhere is an error, never a shorter record', () => {
    for (let cut = 0; cut < body.length; cut++) {
      assert.throws(() => decodeRecordV2Body(body, 0, cut), RecordFormatError, `cut at ${cut}`);
    }
  });

  test('trailing bytes after the headers are an error', () => {
    assert.throws(() => decodeRecordV2Body(Buffer.concat([body, hex('00')])), /after its last header/);
  });

  test('a null header key is an error', () => {
    assert.throws(() => decodeRecordV2Body(hex('00 00 00 01 01 02 01 01')), /null key/);
  });

  test('a negative header count is an error', () => {
    assert.throws(() => decodeRecordV2Body(hex('00 00 00 01 01 03')), /negative header count/);
  });

  test('a varint longer than 5 bytes is an error', () => {
    assert.throws(() => decodeRecordV2Body(hex('00 00 ff ff ff ff ff 01 01 01 00')), /longer than 5 bytes/);
  });
});

describe("kafkajs's own record codec (unpatched, loaded directly) agrees where it is correct", () => {
  // Each test file runs in its own process, and this one never loads the adapter, so these are kafkajs's
  // original modules. They flatten headers into an object, so only distinct keys in insertion order and
  // non-null values can be compared.
  const require = createRequire(import.meta.url);
  const encodeWithKafkajs = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
    record: object,
  ) => {
    buffer: Buffer;
  };
  const decodeWithKafkajs = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as (
    decoder: unknown,
    context: object,
  ) => { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer>; offset: string };
  const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;

  test('identical bytes for distinct header keys and non-null values', () => {
    const ours = encodeRecordV2({
      attributes: 0,
      timestampDelta: 5n,
      offsetDelta: 3,
      key: Buffer.from('k'),
      value: Buffer.from('value'),
      headers: [
        { key: Buffer.from('x'), value: Buffer.from('1') },
        { key: Buffer.from('y'), value: Buffer.from([0xff]) },
      ],
    });
    const theirs = encodeWithKafkajs({
      offsetDelta: 3,
      timestampDelta: 5,
      key: Buffer.from('k'),
      value: Buffer.from('value'),
      headers: { x: Buffer.from('1'), y: Buffer.from([0xff]) },
    }).buffer;
    assert.deepEqual(ours, theirs);
  });

  test('kafkajs decodes our bytes to the same key, value and offset', () => {
    const encoded = encodeRecordV2({
      attributes: 0,
      timestampDelta: 0n,
      offsetDelta: 2,
      key: null,
      value: Buffer.from('v'),
      headers: [{ key: Buffer.from('h'), value: Buffer.from('w') }],
    });
    const decoded = decodeWithKafkajs(new KafkajsDecoder(encoded.subarray(1)), {
      firstOffset: '40',
      firstTimestamp: '1000',
    });
    assert.equal(decoded.key, null);
    assert.deepEqual(decoded.value, Buffer.from('v'));
    assert.equal(decoded.offset, '42');
    assert.deepEqual(decoded.headers, { h: Buffer.from('w') });
  });

  test('and it is kafkajs, not our codec, that loses what the port must keep', () => {
    assert.throws(
      () => encodeWithKafkajs({ key: null, value: null, headers: { a: null } }),
      /must be of type string/,
      'kafkajs 2.2.4 throws on a null header value',
    );
    const repeated = encodeRecordV2({
      ...baseRecord,
      key: null,
      value: null,
      headers: [
        { key: Buffer.from('b'), value: Buffer.from('1') },
        { key: Buffer.from('a'), value: Buffer.from('2') },
        { key: Buffer.from('b'), value: Buffer.from('3') },
      ],
    });
    const decoded = decodeWithKafkajs(new KafkajsDecoder(repeated.subarray(1)), {
      firstOffset: '0',
      firstTimestamp: '0',
    });
    assert.deepEqual(
      Object.keys(decoded.headers),
      ['b', 'a'],
      'kafkajs groups the repeated key, losing order',
    );
  });
});
