// A record batch of a fetch response decoded as the library's readRecordsBatch decodes it, with the records
// of a gzip or zstd batch decompressed into one buffer of about their size. The library decompresses with
// zlib's defaults, into 16 KiB pieces joined afterwards: for Kafka's 16 KiB zstd batches of JSON (about
// 100 KiB decoded) that was seven passes through zlib and a copy per batch, while decoding took more than a
// quarter of the event loop's time copying such a topic.
import zlib from 'node:zlib';
import { compressionsAlgorithms, Reader, type RecordsBatch, readRecord } from '@platformatic/kafka';
import { BATCH_HEADER_BYTES, CODEC_BITS, CODEC_IDS } from './record-batch.js';

/** What a compressed byte is taken to decode to, at most: zstd or gzip JSON decodes to six or seven times. */
const DECODED_PER_COMPRESSED_BYTE = 8;
/** zlib's default: a small batch (a producer that does not wait to fill them) gets no larger buffer than before. */
const MIN_OUTPUT_BYTES = 16 * 1024;
const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;
/**
 * Records decoded into less than this share of zlib's output buffer are copied out of it: their keys and
 * values are views, and would keep the whole buffer alive while the fetch loop counts only what they hold.
 */
const MIN_USED_SHARE_OF_OUTPUT = 0.75;

/** By Kafka's codec id (attributes bits 0-2). */
const DECOMPRESSORS: Record<number, (compressed: Buffer) => Buffer> = {
  [CODEC_IDS.gzip]: (compressed) => fitted(zlib.gunzipSync(compressed, outputFor(compressed))),
  [CODEC_IDS.snappy]: (compressed) => compressionsAlgorithms.snappy.decompressSync(compressed) as Buffer,
  [CODEC_IDS.lz4]: (compressed) => compressionsAlgorithms.lz4.decompressSync(compressed) as Buffer,
  [CODEC_IDS.zstd]: (compressed) => fitted(zlib.zstdDecompressSync(compressed, outputFor(compressed))),
};

function outputFor(compressed: Buffer): { chunkSize: number } {
  const expectedBytes = compressed.length * DECODED_PER_COMPRESSED_BYTE;
  return { chunkSize: Math.min(MAX_OUTPUT_BYTES, Math.max(MIN_OUTPUT_BYTES, expectedBytes)) };
}

function fitted(decoded: Buffer): Buffer {
  return decoded.length < decoded.buffer.byteLength * MIN_USED_SHARE_OF_OUTPUT
    ? Buffer.from(decoded)
    : decoded;
}

/** The batch `received` holds (one whole batch, BaseOffset first), its records decoded. */
export function decodeBatch(received: Buffer): RecordsBatch {
  const reader = Reader.from(received);
  const batch: RecordsBatch = {
    firstOffset: reader.readInt64(),
    length: reader.readInt32(),
    partitionLeaderEpoch: reader.readInt32(),
    magic: reader.readInt8(),
    crc: reader.readUnsignedInt32(),
    attributes: reader.readInt16(),
    lastOffsetDelta: reader.readInt32(),
    firstTimestamp: reader.readInt64(),
    maxTimestamp: reader.readInt64(),
    producerId: reader.readInt64(),
    producerEpoch: reader.readInt16(),
    firstSequence: reader.readInt32(),
    records: [],
  };
  const recordCount = reader.readInt32();
  const codec = batch.attributes & CODEC_BITS;
  let records = reader;
  if (codec !== 0) {
    const decompress = DECOMPRESSORS[codec];
    if (decompress === undefined) {
      throw new Error(`the record batch at offset ${batch.firstOffset} has an unknown codec id ${codec}`);
    }
    // The records follow the batch's header, as encodeBatchRecords writes it.
    records = Reader.from(decompress(received.subarray(BATCH_HEADER_BYTES)));
  }
  for (let index = 0; index < recordCount; index++) batch.records.push(readRecord(records));
  return batch;
}
