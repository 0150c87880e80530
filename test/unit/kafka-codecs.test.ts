import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { compress as rawSnappyCompress } from 'snappyjs';
import {
  lz4Codec,
  registerCompressionCodecs,
  snappyCodec,
  snappyDecompress,
  zstdCodec,
} from '../../src/kafka/codecs.js';
import { loadKafkajs } from '../../src/kafka/kafkajs/load-kafkajs.js';
import { lz4CompressFrame } from '../../src/kafka/lz4-frame.js';

function sampleInputs(): Array<[string, Buffer]> {
  const text = Buffer.from(
    Array.from({ length: 5000 }, (_, index) => `record ${index % 97} london dublin ${index};`).join(''),
  );
  return [
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from('x')],
    ['12 bytes, shorter than the smallest lz4 match window', Buffer.from('abcdabcdabcd')],
    ['random bytes over two 64 KiB blocks', randomBytes(150_000)],
    ['repetitive text over several blocks', text],
    ['one byte repeated 300 000 times', Buffer.alloc(300_000, 7)],
  ];
}

const codecs = [
  ['snappy', snappyCodec],
  ['lz4', lz4Codec],
  ['zstd', zstdCodec],
] as const;

describe('compression codecs for kafkajs', () => {
  for (const [name, codec] of codecs) {
    for (const [label, input] of sampleInputs()) {
      test(`${name} gives back the exact bytes: ${label}`, async () => {
        const compressed = await codec.compress({ buffer: input });
        assert.ok((await codec.decompress(compressed)).equals(input));
      });
    }
  }

  test('snappy writes the xerial framing that the Java producer writes', async () => {
    const compressed = await snappyCodec.compress({ buffer: Buffer.from('hello') });
    assert.equal(compressed.subarray(0, 8).toString('latin1'), '\x82SNAPPY\x00');
  });

  test('snappy also reads raw snappy, as librdkafka and kafkajs-snappy write it', () => {
    const input = Buffer.from('raw snappy without the xerial frame '.repeat(100));
    assert.ok(snappyDecompress(rawSnappyCompress(input)).equals(input));
  });

  test("lz4 frames start like Kafka's: independent blocks of at most 64 KiB, valid header checksum", () => {
    assert.deepEqual(
      [...lz4CompressFrame(Buffer.from('x')).subarray(0, 7)],
      [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82],
    );
  });

  test('lz4 stores a block that does not compress as it is', () => {
    const input = randomBytes(1000);
    const frame = lz4CompressFrame(input);
    assert.equal(frame.readUInt32LE(7), (1000 | 0x80000000) >>> 0);
    assert.ok(frame.subarray(11, 1011).equals(input));
  });

  test('once registered, kafkajs as georep loads it compresses and decompresses with these codecs', () => {
    registerCompressionCodecs();
    const kafkajs = loadKafkajs();
    const { CompressionCodecs, CompressionTypes } = kafkajs;
    assert.equal(CompressionCodecs[CompressionTypes.Snappy](), snappyCodec);
    assert.equal(CompressionCodecs[CompressionTypes.LZ4](), lz4Codec);
    assert.equal(CompressionCodecs[CompressionTypes.ZSTD](), zstdCodec);
  });
});
