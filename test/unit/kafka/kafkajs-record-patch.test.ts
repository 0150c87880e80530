// Guards the kafkajs record-codec correction: these tests run kafkajs's own produce-request encoder and
// record-batch decoder (not our codec directly), so they fail if kafkajs does not use our stand-ins.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { KafkaClientIncompatible } from '../../../src/kafka/errors.js';
import {
  assertPatchedVersion,
  FetchPositionOutOfRange,
  loadKafkajs,
  PATCHED_KAFKAJS_VERSION,
  recordCodecPatchActive,
} from '../../../src/kafka/kafkajs/load-kafkajs.js';
import { decodeRecord, type PatchedKafkajsRecord } from '../../../src/kafka/kafkajs/record-codec-patch.js';
import type { RecordHeader } from '../../../src/kafka/port.js';
import { encodeRecordV2 } from '../../../src/kafka/record-v2.js';

const kafkajs = loadKafkajs();
const require = createRequire(import.meta.url);

interface KafkajsDecoder {
  readString(): string | null;
  readInt16(): number;
  readInt32(): number;
}
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => KafkajsDecoder;
const produceRequestV3 = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (
  request: object,
) => {
  encode(): Promise<{ buffer: Buffer }>;
};
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: KafkajsDecoder,
) => Promise<{ records: PatchedKafkajsRecord[] }>;

/** Encodes a Produce v3 request with kafkajs and decodes the record batch inside it with kafkajs. */
async function produceAndFetchThroughKafkajs(
  messages: object[],
  compression: number = kafkajs.CompressionTypes.None,
): Promise<PatchedKafkajsRecord[]> {
  const request = await produceRequestV3({
    acks: -1,
    timeout: 1000,
    compression,
    topicData: [{ topic: 'orders', partitions: [{ partition: 3, messages }] }],
  }).encode();
  const decoder = new Decoder(request.buffer);
  assert.equal(decoder.readString(), null, 'transactional id');
  assert.equal(decoder.readInt16(), -1, 'acks');
  assert.equal(decoder.readInt32(), 1000, 'timeout');
  assert.equal(decoder.readInt32(), 1, 'topic count');
  assert.equal(decoder.readString(), 'orders');
  assert.equal(decoder.readInt32(), 1, 'partition count');
  assert.equal(decoder.readInt32(), 3, 'partition');
  decoder.readInt32(); // size of the record set
  return (await decodeRecordBatch(decoder)).records;
}

const orderedHeaders: RecordHeader[] = [
  { key: Buffer.from('b'), value: Buffer.from('first b') },
  { key: Buffer.from('a'), value: null },
  { key: Buffer.from('b'), value: Buffer.alloc(0) },
  { key: Buffer.from('2'), value: Buffer.from([0xff, 0x00, 0xfe]) },
  { key: Buffer.from('1'), value: null },
  { key: Buffer.from('b'), value: Buffer.from('last b') },
];

describe('kafkajs with georep record codec', () => {
  test('is the version the patch was written for', () => {
    assert.equal((require('kafkajs/package.json') as { version: string }).version, PATCHED_KAFKAJS_VERSION);
    assert.ok(recordCodecPatchActive());
  });

  test('writes and reads headers in order, with repeated keys and null values', async () => {
    const [record] = await produceAndFetchThroughKafkajs([
      { key: null, value: Buffer.from('v'), headers: orderedHeaders, timestamp: '1700000000123' },
    ]);
    assert.ok(record);
    assert.deepEqual(record.orderedHeaders, orderedHeaders);
    assert.equal(record.timestamp, '1700000000123');
    assert.equal(record.offset, '0');
  });

  test('keeps kafkajs object headers working for other kafkajs users in the process', async () => {
    const [record] = await produceAndFetchThroughKafkajs([
      { key: Buffer.from('k'), value: 'v', headers: { x: 'one', y: ['two', Buffer.from('three')], z: null } },
    ]);
    assert.ok(record);
    assert.deepEqual(record.orderedHeaders, [
      { key: Buffer.from('x'), value: Buffer.from('one') },
      { key: Buffer.from('y'), value: Buffer.from('two') },
      { key: Buffer.from('y'), value: Buffer.from('three') },
      { key: Buffer.from('z'), value: null },
    ]);
    assert.deepEqual(record.headers, {
      x: Buffer.from('one'),
      y: [Buffer.from('two'), Buffer.from('three')],
      z: null,
    });
  });

  test('round-trips null keys, tombstones, empty values and per-record timestamps in one batch', async () => {
    const records = await produceAndFetchThroughKafkajs([
      { key: null, value: null, headers: [], timestamp: '1000' },
      { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [], timestamp: '999' },
      { key: Buffer.from([0x80]), value: Buffer.from([0xc3, 0x28]), headers: [], timestamp: '0' },
    ]);
    assert.deepEqual(
      records.map((r) => [r.offset, r.timestamp, r.key, r.value]),
      [
        ['0', '1000', null, null],
        ['1', '999', Buffer.alloc(0), Buffer.alloc(0)],
        ['2', '0', Buffer.from([0x80]), Buffer.from([0xc3, 0x28])],
      ],
    );
  });

  test('goes through compressed batches too (gzip is built into kafkajs)', async () => {
    const records = await produceAndFetchThroughKafkajs(
      [{ key: null, value: Buffer.from('x'.repeat(1000)), headers: orderedHeaders }],
      kafkajs.CompressionTypes.GZIP,
    );
    assert.deepEqual(records[0]?.orderedHeaders, orderedHeaders);
  });
});

describe('the record decoder stand-in', () => {
  /** One record's body (without its length prefix, as kafkajs hands it to the decoder). */
  function body(offsetDelta: number, timestampDelta: bigint): Buffer {
    const encoded = encodeRecordV2({
      attributes: 0,
      offsetDelta,
      timestampDelta,
      key: null,
      value: null,
      headers: [],
    });
    return encoded.subarray(1);
  }

  test('adds offset and timestamp deltas exactly, also beyond what a plain number holds', () => {
    const cases: [
      firstOffset: string,
      offsetDelta: number,
      firstTimestamp: string,
      timestampDelta: bigint,
    ][] = [
      ['0', 0, '1700000000000', 0n],
      ['41', 7, '1700000000000', -5n],
      ['9007199254740990', 5, '-1', 9007199254740993n],
      ['9223372036854775000', 800, '9223372036854775000', 807n],
    ];
    for (const [firstOffset, offsetDelta, firstTimestamp, timestampDelta] of cases) {
      const record = decodeRecord(
        { buffer: body(offsetDelta, timestampDelta), offset: 0 },
        { firstOffset, firstTimestamp, magicByte: 2 },
      );
      assert.equal(record.offset, (BigInt(firstOffset) + BigInt(offsetDelta)).toString());
      assert.equal(record.timestamp, (BigInt(firstTimestamp) + timestampDelta).toString());
    }
  });
});

describe('the offset-out-of-range correction', () => {
  test('makes kafkajs stop with FetchPositionOutOfRange instead of resetting and committing an offset', async () => {
    const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as {
      prototype: { recoverFromOffsetOutOfRange(error: object): Promise<void> };
    };
    let committed = false;
    const consumerGroup = {
      offsetManager: {
        nextOffset: () => ({ toString: () => '42' }),
        setDefaultOffset: async () => {
          committed = true;
        },
      },
      preferredReadReplicasPerTopicPartition: {},
    };
    const halt = ConsumerGroup.prototype.recoverFromOffsetOutOfRange.call(consumerGroup, {
      topic: 'orders',
      partition: 2,
    });
    await assert.rejects(halt, (error: unknown) => {
      assert.ok(error instanceof FetchPositionOutOfRange);
      assert.deepEqual(
        [error.topic, error.partition, error.fetchOffset, error.retriable],
        ['orders', 2, '42', false],
      );
      return true;
    });
    assert.equal(committed, false);
  });
});

describe('the version check', () => {
  test('accepts only the pinned kafkajs version', () => {
    assert.doesNotThrow(() => assertPatchedVersion(PATCHED_KAFKAJS_VERSION));
    assert.throws(() => assertPatchedVersion('2.2.5'), KafkaClientIncompatible);
  });

  test('package.json pins kafkajs exactly', () => {
    const manifest = require('../../../package.json') as { dependencies: Record<string, string> };
    assert.equal(manifest.dependencies.kafkajs, PATCHED_KAFKAJS_VERSION);
  });
});
