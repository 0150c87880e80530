// Compression codecs for kafkajs, which has only gzip built in: without these, a consumer cannot even read
// batches that another producer compressed with snappy, lz4 or zstd. Pure JavaScript or WebAssembly only,
// so that installing georep never needs a native build or a binary download.
//
// Each codec writes what Kafka's Java producer writes, so Java consumers and the broker's validation read it:
// - snappy: the xerial framing of snappy-java's SnappyOutputStream (reads raw snappy too, as librdkafka and
//   kafkajs-snappy write it);
// - lz4: one LZ4 frame with independent 64 KiB blocks, like KafkaLZ4BlockOutputStream;
// - zstd: one zstd frame.

import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import { decompress as zstdDecompress } from 'fzstd';
import { decompress as lz4DecompressFrame } from 'lz4js';
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappyjs';
import { loadKafkajs } from './kafkajs/load-kafkajs.js';
import { lz4CompressFrame } from './lz4-frame.js';

/** What kafkajs calls a codec: compress gets the encoder holding a record batch's records. */
export interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---- snappy ----

/** "\x82SNAPPY\0", then format version 1 and minimum compatible version 1 as big-endian int32. */
const XERIAL_HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
const XERIAL_MAGIC_LENGTH = 8;
/** snappy-java's default block size, which the Java producer uses. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

function isXerialFramed(buffer: Buffer): boolean {
  return (
    buffer.length >= XERIAL_HEADER.length &&
    buffer.subarray(0, XERIAL_MAGIC_LENGTH).equals(XERIAL_HEADER.subarray(0, XERIAL_MAGIC_LENGTH))
  );
}

export function snappyDecompress(buffer: Buffer): Buffer {
  if (!isXerialFramed(buffer)) return snappyUncompress(buffer);
  const blocks: Buffer[] = [];
  let offset = XERIAL_HEADER.length;
  while (offset < buffer.length) {
    const length = buffer.readUInt32BE(offset);
    offset += 4;
    if (offset + length > buffer.length)
      throw new Error('snappy: xerial block runs past the end of the data');
    blocks.push(snappyUncompress(buffer.subarray(offset, offset + length)));
    offset += length;
  }
  return Buffer.concat(blocks);
}

export function snappyCompressXerial(buffer: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER];
  for (let start = 0; start < buffer.length; start += XERIAL_BLOCK_BYTES) {
    const block = snappyCompress(buffer.subarray(start, start + XERIAL_BLOCK_BYTES));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

export const snappyCodec: KafkajsCodec = {
  compress: async (encoder) => snappyCompressXerial(encoder.buffer),
  decompress: async (buffer) => snappyDecompress(buffer),
};

// ---- lz4 ----

export const lz4Codec: KafkajsCodec = {
  compress: async (encoder) => lz4CompressFrame(encoder.buffer),
  decompress: async (buffer) => asBuffer(lz4DecompressFrame(buffer)),
};

// ---- zstd ----

let zstdReady: Promise<void> | undefined;

export const zstdCodec: KafkajsCodec = {
  async compress(encoder) {
    // The WebAssembly module loads once, on first use.
    zstdReady ??= zstdInit();
    await zstdReady;
    // Level 3 is zstd's default and Kafka's.
    return asBuffer(zstdCompress(encoder.buffer, 3));
  },
  // fzstd, not the WebAssembly module, decompresses: the Java producer streams its frames without a
  // content size, which fzstd handles at any size while the module's simple API guesses a 1 MiB output.
  decompress: async (buffer) => asBuffer(zstdDecompress(buffer)),
};

/**
 * Makes kafkajs compress and decompress snappy, lz4 and zstd batches. kafkajs keeps codecs in one global
 * table, so this affects every kafkajs client of the process; calling it again changes nothing.
 * (Through georep's loader, not an import of kafkajs: a module that imports kafkajs loads it before the loader
 * can put its time-saving stand-ins in place.)
 */
export function registerCompressionCodecs(): void {
  const { CompressionCodecs, CompressionTypes } = loadKafkajs();
  CompressionCodecs[CompressionTypes.Snappy] = () => snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstdCodec;
}
