// Compressing a batch's records with reused scratch buffers (batch-compression.ts): whatever buffer the records
// were written into before, each call's output decompresses to exactly what that call wrote, one after another
// and at once, and zlib's output buffer is sized by the expected share, within its bounds, when compressing and
// when decompressing a fetched batch (received-batches.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { compressionsAlgorithms } from '@platformatic/kafka';
import {
  compressionOutputBytes,
  compressRecords,
  SCRATCH_BYTES,
} from '../../../src/kafka/platformatic/batch-compression.js';
import { decodeBatch, decompressionOutputBytes } from '../../../src/kafka/platformatic/received-batches.js';
import { type BatchProducer, encodeRecordBatch } from '../../../src/kafka/platformatic/record-batch.js';
import type { CompressionCodec } from '../../../src/kafka/port.js';

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const satisfies Exclude<CompressionCodec, 'none'>[];

const DECOMPRESS: Record<(typeof CODECS)[number], (compressed: Buffer) => Buffer> = {
  gzip: (compressed) => zlib.gunzipSync(compressed),
  zstd: (compressed) => zlib.zstdDecompressSync(compressed),
  snappy: (compressed) => compressionsAlgorithms.snappy.decompressSync(compressed) as Buffer,
  lz4: (compressed) => compressionsAlgorithms.lz4.decompressSync(compressed) as Buffer,
};

const PRODUCER: BatchProducer = { producerId: 1n, producerEpoch: 0, baseSequence: 0, transactional: false };

/** Bytes that differ from call to call (a reused buffer left with an earlier call's bytes would show). */
function payload(seed: number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let index = 0; index < bytes; index++) out[index] = (index * 31 + seed * 7 + (index >> 9)) % 251;
  return out;
}

function compress(codec: (typeof CODECS)[number], plain: Buffer): Promise<Buffer> {
  return compressRecords(codec, plain.length, (scratch) => {
    assert.equal(scratch.length, plain.length);
    plain.copy(scratch);
  });
}

describe('compressing records with reused scratch buffers', () => {
  for (const codec of CODECS) {
    test(`${codec}: one call after another, small (on the event loop) and large, each output decompresses to what that call wrote`, async () => {
      const plains = [
        payload(1, 512 * 1024),
        payload(2, 100),
        payload(3, 300 * 1024),
        payload(4, 512 * 1024),
      ];
      const outputs: Buffer[] = [];
      for (const plain of plains) outputs.push(await compress(codec, plain));
      // Checked after the last call: an output that were a view into a reused buffer would show here.
      assert.deepEqual(
        outputs.map((output) => DECOMPRESS[codec](output)),
        plains,
      );
    });
  }

  test('calls at once, more than the buffers kept, each get their own', async () => {
    const plains = Array.from({ length: 9 }, (_, index) => payload(index, 200 * 1024 + index));
    const compressed = await Promise.all(plains.map((plain) => compress('zstd', plain)));
    assert.deepEqual(
      compressed.map((bytes) => zlib.zstdDecompressSync(bytes)),
      plains,
    );
  });

  test('records larger than a scratch buffer are compressed whole', async () => {
    const plain = payload(5, SCRATCH_BYTES + 1);
    assert.deepEqual(zlib.zstdDecompressSync(await compress('zstd', plain)), plain);
  });

  test('a write that throws fails the call, and the next call is unaffected', async () => {
    await assert.rejects(
      compressRecords('zstd', 10, () => {
        throw new Error('record encoder wrote 9 bytes into 10');
      }),
      /wrote 9 bytes into 10/,
    );
    const plain = payload(6, 4096);
    assert.deepEqual(zlib.zstdDecompressSync(await compress('zstd', plain)), plain);
  });
});

describe("zlib's output buffer for a batch", () => {
  const table: [string, number, number, number][] = [
    ['512 KiB of JSON at a quarter: the share and a quarter more, plus 1 KiB', 512 * 1024, 0.25, 164_864],
    ['a small batch gets 16 KiB at least', 10_000, 0.25, 16_384],
    ['bytes that do not compress: the worst case at most', 512 * 1024, 1.5, 529_408],
    ['an empty batch', 0, 0.25, 16_384],
    ['a share learnt from zeros: an eighth of the records at least', 512 * 1024, 0.0001, 65_536],
  ];
  for (const [name, plainBytes, share, expected] of table) {
    test(name, () => assert.equal(compressionOutputBytes(plainBytes, share), expected));
  }
});

describe("zlib's output buffer for a fetched batch", () => {
  const table: [string, number, number, number][] = [
    ["Kafka's 16 KiB zstd batch of JSON (6.6 to one): the last ratio and a tenth", 16_384, 6.6, 118_948],
    ['a small batch gets 16 KiB at least', 1000, 2, 16_384],
    ['a batch of zeros: 8 MiB at most', 100_000, 5000, 8 * 1024 * 1024],
  ];
  for (const [name, compressedBytes, ratio, expected] of table) {
    test(name, () => assert.equal(decompressionOutputBytes(compressedBytes, ratio), expected));
  }

  for (const codec of ['gzip', 'zstd'] as const) {
    test(`${codec}: batches that compress very differently, one after another, each decode whole`, async () => {
      const values = [Buffer.alloc(3_000_000), payload(7, 40_000), Buffer.alloc(20, 1), payload(8, 300_000)];
      for (const value of values) {
        const records = [{ key: null, value, headers: [], timestampMs: 1_700_000_000_000 }];
        const batch = await encodeRecordBatch(records, PRODUCER, codec);
        assert.deepEqual(decodeBatch(batch).records[0]?.value, value);
      }
    });
  }
});
