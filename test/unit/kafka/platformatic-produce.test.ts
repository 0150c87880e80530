// The @platformatic/kafka adapter's own produce encoding: record batches built with georep's record codec,
// read back with the library's batch reader (every codec, every field), and the Produce v9 framing around
// them compared byte for byte with the library's own Produce v9 encoder; and which failures are sent again.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createRecordsBatch,
  NetworkError,
  produceV9,
  protocolErrors,
  Reader,
  ResponseError,
  readRecordsBatch,
  TimeoutError,
  UserError,
} from '@platformatic/kafka';
import { errorTree, kafkaErrorIds } from '../../../src/kafka/platformatic/map-error.js';
import { answeredOrUnreachable } from '../../../src/kafka/platformatic/produce-client.js';
import { partitionAnswer, produceRequestV9 } from '../../../src/kafka/platformatic/produce-request.js';
import { encodeRecordBatch, nextSequence } from '../../../src/kafka/platformatic/record-batch.js';
import type { CompressionCodec, RecordToWrite } from '../../../src/kafka/port.js';
import { referenceCrc32c as crc32c } from '../../support/crc32c.js';

const RECORDS: readonly RecordToWrite[] = [
  { key: null, value: Buffer.from('no key'), headers: [], timestampMs: 1_700_000_000_000 },
  { key: Buffer.from('tombstone'), value: null, headers: [], timestampMs: 1_700_000_000_005 },
  {
    key: Buffer.alloc(0),
    value: Buffer.alloc(0),
    headers: [
      { key: Buffer.from('trace'), value: Buffer.from('first') },
      { key: Buffer.from('b'), value: null },
      { key: Buffer.from('trace'), value: Buffer.from([0xff, 0x00]) },
      { key: Buffer.from(''), value: Buffer.alloc(0) },
      { key: Buffer.from('ключ-🔑'), value: Buffer.from('utf-8 key') },
      { key: Buffer.from([0xff, 0xfe, 0x6b]), value: Buffer.from('a key that is not UTF-8') },
    ],
    timestampMs: 0,
  },
  { key: Buffer.from([0xff, 0xfe]), value: Buffer.alloc(70_000, 7), headers: [], timestampMs: 999 },
];

const PRODUCER = { producerId: 4321n, producerEpoch: 7, baseSequence: 2_147_483_000, transactional: false };

/** The records of a batch as the library's reader returns them, in the port's terms. */
function readBack(batch: Buffer) {
  const read = readRecordsBatch(Reader.from(batch));
  return {
    batch: read,
    records: read.records.map((record) => ({
      key: record.key ?? null,
      value: record.value ?? null,
      headers: record.headers.map(([key, value]) => ({ key: key!, value: value ?? null })),
      timestampMs: Number(read.firstTimestamp + record.timestampDelta),
    })),
  };
}

describe('record batches of the @platformatic/kafka sink', () => {
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const satisfies CompressionCodec[]) {
    test(`a ${codec} batch reads back with every key, value, header and timestamp exactly`, async () => {
      const batch = await encodeRecordBatch(RECORDS, PRODUCER, codec);
      const { batch: read, records } = readBack(batch);
      assert.deepEqual(records, RECORDS);
      assert.equal(read.magic, 2);
      assert.equal(read.attributes & 0x07, { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }[codec]);
      assert.equal(read.attributes & 0x08, 0, 'CreateTime');
      assert.equal(read.attributes & 0x10, 0, 'not transactional');
      assert.deepEqual(
        [read.producerId, read.producerEpoch, read.firstSequence, read.lastOffsetDelta],
        [4321n, 7, 2_147_483_000, RECORDS.length - 1],
      );
      assert.deepEqual([read.firstTimestamp, read.maxTimestamp], [1_700_000_000_000n, 1_700_000_000_005n]);
      assert.equal(read.length, batch.length - 12);
      assert.equal(read.crc, crc32c(batch.subarray(21)), 'the CRC covers the batch from its attributes on');
    });
  }

  test('the reference CRC-32C gives the check value of RFC 3720 (32 bytes of zeros)', () => {
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  });

  test('a transactional batch says so in its attributes', async () => {
    const batch = await encodeRecordBatch(RECORDS.slice(0, 1), { ...PRODUCER, transactional: true }, 'none');
    assert.equal(readBack(batch).batch.attributes & 0x10, 0x10);
  });

  test('a batch needs a record', async () => {
    await assert.rejects(encodeRecordBatch([], PRODUCER, 'none'), /at least one record/);
  });

  test('sequences wrap from 2^31-1 to 0, as Kafka counts them', () => {
    assert.deepEqual(
      [
        nextSequence(0, 5),
        nextSequence(2_147_483_645, 2),
        nextSequence(2_147_483_645, 3),
        nextSequence(2_147_483_000, 700),
      ],
      [5, 2_147_483_647, 0, 52],
    );
  });
});

describe('Produce v9 requests of the @platformatic/kafka sink', () => {
  const message = (topic: string, partition: number, value: string) => ({
    topic,
    partition,
    key: Buffer.from('k'),
    value: Buffer.from(value),
    timestamp: 5n,
  });
  for (const transactionalId of [null, 'georep.flow.3']) {
    const options = transactionalId === null ? {} : { transactionalId };
    test(`frame a batch exactly as the library's Produce v9 encoder (transactional id ${transactionalId})`, () => {
      const library = produceV9.createRequest(-1, 30_000, [message('orders.eu', 3, 'v')], options).buffer;
      // The library's request holds the library's batch; framed by ours, the same batch gives the same bytes.
      const batch = createRecordsBatch([message('orders.eu', 3, 'v')], options).buffer;
      const ours = produceRequestV9(
        transactionalId,
        [{ topic: 'orders.eu', partition: 3, batch }],
        30_000,
      ).buffer;
      assert.deepEqual(ours, library);
    });

    test(`frame batches of several topics and partitions as the library does (transactional id ${transactionalId})`, () => {
      const messages = [
        // The library orders each topic's partitions by number; ours keeps them as given.
        message('orders.eu', 0, 'a'),
        message('payments', 0, 'b'),
        message('orders.eu', 3, 'c'),
        message('payments', 7, 'd'),
        message('orders.eu', 11, 'e'),
      ];
      const library = produceV9.createRequest(-1, 30_000, messages, options).buffer;
      const entries = messages.map((each) => ({
        topic: each.topic,
        partition: each.partition,
        batch: createRecordsBatch([each], options).buffer,
      }));
      assert.deepEqual(produceRequestV9(transactionalId, entries, 30_000).buffer, library);
    });
  }
});

describe('what a Produce answer says of each partition', () => {
  const partitionResponse = (index: number, errorCode: number, baseOffset: bigint) => ({
    index,
    errorCode,
    baseOffset,
    errorMessage: errorCode === 0 ? null : `broker says ${errorCode}`,
    recordErrors: errorCode === 87 ? [{ batchIndex: 2, batchIndexErrorMessage: 'record 2 has no key' }] : [],
  });
  const response = {
    responses: [
      { name: 'orders', partitionResponses: [partitionResponse(0, 0, 40n), partitionResponse(1, 10, -1n)] },
      { name: 'payments', partitionResponses: [partitionResponse(4, 87, -1n), partitionResponse(5, 0, 7n)] },
    ],
    throttleTimeMs: 0,
  };
  const describeAnswer = (topic: string, partition: number) => {
    const answer = partitionAnswer(response, topic, partition);
    if (answer === 'missing' || !('error' in answer)) return answer;
    return [...kafkaErrorIds(answer.error)].sort().join(', ');
  };
  const cases: [string, string, number, unknown][] = [
    ['a stored batch: its first offset', 'orders', 0, { baseOffset: 40n }],
    ['another topic’s stored batch', 'payments', 5, { baseOffset: 7n }],
    ['a batch refused: its own error only', 'orders', 1, 'MESSAGE_TOO_LARGE'],
    ['a batch refused for one record: both errors', 'payments', 4, 'INVALID_RECORD, UNKNOWN_SERVER_ERROR'],
    ['a partition the answer leaves out', 'orders', 2, 'missing'],
    ['a topic the answer leaves out', 'audit', 0, 'missing'],
  ];
  for (const [situation, topic, partition, expected] of cases) {
    test(situation, () => assert.deepEqual(describeAnswer(topic, partition), expected));
  }

  test("a refused batch's error names the broker's own words", () => {
    const answer = partitionAnswer(response, 'orders', 1);
    assert.ok(answer !== 'missing' && 'error' in answer);
    const said = errorTree(answer.error).map((link) => link.serverErrorMessage);
    assert.ok(said.includes('broker says 10'), `${said}`);
  });
});

describe('which failures the @platformatic/kafka sinks send again', () => {
  const answered = (...ids: string[]) =>
    new ResponseError(
      0,
      9,
      Object.fromEntries(ids.map((id, index) => [`/responses/0/${index}`, [protocolErrors[id]!.code, null]])),
      {},
    );
  const ids = new Set(['NOT_LEADER_OR_FOLLOWER', 'CONCURRENT_TRANSACTIONS']);
  const cases: [string, unknown, boolean][] = [
    ['a listed answer', answered('NOT_LEADER_OR_FOLLOWER'), true],
    ['a listed answer among others', answered('MESSAGE_TOO_LARGE', 'CONCURRENT_TRANSACTIONS'), true],
    ['an answer not listed', answered('MESSAGE_TOO_LARGE'), false],
    ['a connection that failed', new NetworkError('Connection closed'), true],
    ['a request without an answer in time', new TimeoutError('Request timed out'), true],
    ['a usage error', new UserError('bad option'), false],
    ['any other error', new TypeError('boom'), false],
  ];
  for (const [situation, error, expected] of cases) {
    test(`${situation}: ${expected ? 'sent again' : 'not sent again'}`, () => {
      assert.equal(answeredOrUnreachable(error, ids), expected);
    });
  }
});
