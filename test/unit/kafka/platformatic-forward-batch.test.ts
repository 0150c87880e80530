// An origin batch forwarded as it came (forwardRecordBatch): its records keep their bytes, compressed or not, and
// only what the destination owns is written anew. The reference for "a batch Kafka accepts" is the sink's own
// encoder (its batches are what every integration test writes): an origin batch as a broker returns it
// (another producer, an offset and leader epoch of the origin's log), forwarded, is byte for byte the batch
// the encoder makes of the same records for the sink's producer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Reader, readRecordsBatch } from '@platformatic/kafka';
import { readBatches, receivedBatches } from '../../../src/kafka/platformatic/fetch-response.js';
import { decodeBatch, fromLibraryBatch } from '../../../src/kafka/platformatic/received-batches.js';
import {
  type BatchProducer,
  batchOf,
  encodeAhead,
  encodeRecordBatch,
  forwardRecordBatch,
} from '../../../src/kafka/platformatic/record-batch.js';
import type { CompressionCodec, RecordToWrite } from '../../../src/kafka/port.js';
import { referenceCrc32c } from '../../support/crc32c.js';

const RECORDS: readonly RecordToWrite[] = [
  {
    key: Buffer.from('k'),
    value: Buffer.from('v'.repeat(300)),
    headers: [
      { key: Buffer.from('h'), value: null },
      { key: Buffer.from('h'), value: Buffer.from([0xff]) },
    ],
    timestampMs: 1_700_000_000_000,
  },
  { key: null, value: null, headers: [], timestampMs: 1_699_999_999_000 },
  { key: Buffer.alloc(0), value: Buffer.alloc(2000, 3), headers: [], timestampMs: 1_700_000_000_009 },
];

const ORIGIN_PRODUCER: BatchProducer = {
  producerId: 99n,
  producerEpoch: 3,
  baseSequence: 500,
  transactional: true,
};
const SINK_PRODUCER: BatchProducer = {
  producerId: 4321n,
  producerEpoch: 7,
  baseSequence: 2_147_483_000,
  transactional: false,
};

/** What a broker returns of a stored batch: its offset and leader epoch in the origin's log, the CRC over them. */
async function asFetchedFromOrigin(codec: CompressionCodec): Promise<Buffer> {
  const batch = await encodeRecordBatch(RECORDS, ORIGIN_PRODUCER, codec);
  batch.writeBigInt64BE(1_234_567n, 0);
  batch.writeInt32BE(42, 12);
  batch.writeUInt32BE(referenceCrc32c(batch.subarray(21)), 17);
  return batch;
}

describe('an origin batch forwarded as it came', () => {
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const satisfies CompressionCodec[]) {
    test(`a ${codec} batch is the encoder's batch of the same records, producer fields and CRC the sink's`, async () => {
      const received = await asFetchedFromOrigin(codec);
      const forwarded = forwardRecordBatch(received, SINK_PRODUCER);
      assert.deepEqual(forwarded, await encodeRecordBatch(RECORDS, SINK_PRODUCER, codec));
      const read = readRecordsBatch(Reader.from(forwarded));
      assert.deepEqual(
        [
          read.firstOffset,
          read.partitionLeaderEpoch,
          read.producerId,
          read.producerEpoch,
          read.firstSequence,
        ],
        [0n, -1, 4321n, 7, 2_147_483_000],
      );
      assert.equal(read.attributes, { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }[codec]);
      assert.equal(read.crc, referenceCrc32c(forwarded.subarray(21)));
      assert.deepEqual(
        forwarded.subarray(61),
        received.subarray(61),
        'the records bytes are the ones received',
      );
    });
  }

  test('a transactional sink marks the batch transactional; the origin batch is left as it was', async () => {
    const received = await asFetchedFromOrigin('zstd');
    const before = Buffer.from(received);
    const forwarded = forwardRecordBatch(received, { ...SINK_PRODUCER, transactional: true });
    assert.deepEqual(
      forwarded,
      await encodeRecordBatch(RECORDS, { ...SINK_PRODUCER, transactional: true }, 'zstd'),
    );
    assert.deepEqual(received, before);
  });

  test('only a whole batch of format v2 is forwarded', async () => {
    const received = await asFetchedFromOrigin('none');
    assert.throws(
      () => forwardRecordBatch(received.subarray(0, received.length - 1), SINK_PRODUCER),
      /says it has/,
    );
    const magic1 = Buffer.from(received);
    magic1.writeInt8(1, 16);
    assert.throws(() => forwardRecordBatch(magic1, SINK_PRODUCER), /format v2/);
  });
});

describe("a fetch response's records read with their bytes as received", () => {
  test('each whole batch keeps its own bytes beside the decoding; a batch cut off at the end is left out', async () => {
    const first = await asFetchedFromOrigin('zstd');
    const second = await asFetchedFromOrigin('none');
    const cutOff = (await asFetchedFromOrigin('lz4')).subarray(0, 40);
    const { batches, unreadable } = readBatches(Reader.from(Buffer.concat([first, second, cutOff])));
    assert.equal(unreadable, undefined);
    assert.deepEqual(
      batches.map((batch) => batch.received),
      [first, second],
    );
    assert.deepEqual(
      batches.map((batch) => batch.records.map((record) => record.value?.length ?? null)),
      [
        [300, null, 2000],
        [300, null, 2000],
      ],
    );
  });
});

describe("a received batch decodes as the library's reader decodes it (decodeBatch)", () => {
  /** Records that compress far better than the output size guessed from the compressed size: several passes. */
  const repetitive: RecordToWrite[] = Array.from({ length: 200 }, (_, index) => ({
    key: Buffer.from(`key-${index}`),
    value: Buffer.alloc(4000, index % 7),
    headers: [{ key: Buffer.from('h'), value: Buffer.from([index % 256]) }],
    timestampMs: 1_700_000_000_000 + index,
  }));
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    for (const [name, records] of [
      ['three records', RECORDS],
      ['800 KB that compress 100 times', repetitive],
    ] as const) {
      test(`${codec}, ${name}`, async () => {
        const received = await encodeRecordBatch(records, ORIGIN_PRODUCER, codec);
        const ours = decodeBatch(received);
        assert.deepEqual(ours, fromLibraryBatch(readRecordsBatch(Reader.from(received))));
        const values = ours.records.map((record) => record.value);
        assert.deepEqual(
          values,
          records.map((record) => record.value),
        );
      });
    }
  }

  test('an unknown codec id is an error that names the batch', async () => {
    const received = await encodeRecordBatch(RECORDS, ORIGIN_PRODUCER, 'none');
    received.writeInt16BE(6, 21);
    assert.throws(() => decodeBatch(received), /offsets 0 to 2 has an unknown codec id 6/);
  });
});

describe("a partition's batches in one shape, whichever parser read them (receivedBatches)", () => {
  test("this parser's batches pass as they are; the library's (brokers before Kafka 3.1) are turned into that shape; none is none", async () => {
    const received = await asFetchedFromOrigin('zstd');
    const ours = readBatches(Reader.from(received)).batches;
    assert.equal(receivedBatches(ours)[0], ours[0]);
    const library = readRecordsBatch(Reader.from(received));
    const { received: _bytes, ...decoded } = ours[0]!;
    assert.deepEqual(receivedBatches([library]), [decoded]);
    assert.deepEqual(receivedBatches(null), []);
    assert.deepEqual(receivedBatches(undefined), []);
  });
});

describe('a batch that cannot be read is refused, naming it, and stops only its partition', () => {
  test('decodeBatch refuses what Kafka refuses, with the batch offset', async () => {
    const zstd = await encodeRecordBatch(RECORDS, ORIGIN_PRODUCER, 'zstd');
    const none = await encodeRecordBatch(RECORDS, ORIGIN_PRODUCER, 'none');
    const changed = (batch: Buffer, change: (copy: Buffer) => void) => {
      const copy = Buffer.from(batch);
      change(copy);
      return copy;
    };
    const cases: [string, Buffer, RegExp][] = [
      [
        'format v1',
        changed(none, (copy) => copy.writeInt8(1, 16)),
        /offsets 0 to 2 has format v1; georep reads v2/,
      ],
      [
        'a negative record count',
        changed(none, (copy) => copy.writeInt32BE(-1, 57)),
        /offsets 0 to 2 says it has -1 records/,
      ],
      [
        'one record fewer than it holds',
        changed(none, (copy) => copy.writeInt32BE(2, 57)),
        /offsets 0 to 2 has \d+ bytes after its 2 records/,
      ],
      [
        'one record more than it holds',
        changed(none, (copy) => copy.writeInt32BE(4, 57)),
        /offsets 0 to 2 cannot be read: a record runs past the end/,
      ],
      [
        'compressed bytes that are not zstd',
        changed(zstd, (copy) => copy.fill(7, 61)),
        /offsets 0 to 2 cannot be read: /,
      ],
    ];
    for (const [name, batch, error] of cases) assert.throws(() => decodeBatch(batch), error, name);
  });

  test('the batches before it are read, and the partition says why it stops at it', async () => {
    const first = await asFetchedFromOrigin('none');
    const corrupt = Buffer.from(await asFetchedFromOrigin('zstd'));
    corrupt.writeBigInt64BE(13n, 0);
    corrupt.fill(7, 61);
    const { batches, unreadable } = readBatches(Reader.from(Buffer.concat([first, corrupt, first])));
    assert.deepEqual(
      batches.map((batch) => batch.received),
      [first],
    );
    assert.match(String(unreadable?.message), /^the record batch of offsets 13 to 15 cannot be read: /);
  });

  test('a batch whose length is below a batch header is refused, naming its offset and length', async () => {
    const first = await asFetchedFromOrigin('none');
    const short = Buffer.from(first);
    short.writeInt32BE(-12, 8);
    const { batches, unreadable } = readBatches(Reader.from(short));
    assert.deepEqual(batches, []);
    assert.match(String(unreadable?.message), /says it has 0 bytes/);
  });
});

describe('a chunk encoded ahead is stamped for whoever sends it (encodeAhead, batchOf)', () => {
  test('stamped for one producer, then again for a transactional one and a third: each time the batch encodeRecordBatch makes', async () => {
    const chunk = encodeAhead({ records: [...RECORDS], codec: 'zstd' });
    for (const producer of [
      SINK_PRODUCER,
      { ...SINK_PRODUCER, producerId: 5n, baseSequence: 0, transactional: true },
      ORIGIN_PRODUCER,
      { ...ORIGIN_PRODUCER, transactional: false },
    ]) {
      assert.deepEqual(await batchOf(chunk, producer), await encodeRecordBatch(RECORDS, producer, 'zstd'));
    }
  });
});
