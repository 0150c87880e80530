// A record batch of a fetch response decoded: its header, and its records read with georep's RecordV2Reader,
// those of a gzip or zstd batch decompressed into one buffer of about their size. The library decompresses with
// zlib's defaults, into 16 KiB pieces joined afterwards: for Kafka's 16 KiB zstd batches of JSON (about
// 100 KiB decoded) that was seven passes through zlib and a copy per batch, while decoding took more than a
// quarter of the event loop's time copying such a topic.
import zlib from 'node:zlib';
import { compressionsAlgorithms, type RecordsBatch } from '@platformatic/kafka';
import { EMPTY_HEADER_KEY, type RecordV2, RecordV2Reader } from '../record-v2.js';
import { BATCH_FIELD_AT, BATCH_HEADER_BYTES, CODEC_BITS, CODEC_IDS, MAGIC } from './record-batch.js';

/** What a compressed byte is taken to decode to before any batch of its codec was: zstd or gzip JSON, 6 or 7. */
const FIRST_DECODED_PER_COMPRESSED_BYTE = 8;
/**
 * The ratio learnt from a batch counts up to this: one ratio serves all flows, and a batch of zeros (thousands to
 * one) must not make the next flow's batches take 8 MiB each. Batches that decode to more come in pieces.
 */
const MAX_DECODED_PER_COMPRESSED_BYTE = 16;
/** zlib's output buffer is what the codec's last batch suggests plus this share. */
const OUTPUT_HEADROOM = 1.1;
/** zlib's default: a small batch (a producer that does not wait to fill them) gets no larger buffer than before. */
const MIN_OUTPUT_BYTES = 16 * 1024;
const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;
/**
 * Records decoded into less than this share of zlib's output buffer are copied out of it: their keys and
 * values are views, and would keep the whole buffer alive while the fetch loop counts only what they hold.
 */
const MIN_USED_SHARE_OF_OUTPUT = 0.75;

/**
 * What a compressed byte decoded to in the last batch of each zlib codec. zlib allocates its output buffer whole
 * for every batch, outside V8's heap, where each 64 MiB more starts a full garbage collection: a buffer sized by
 * a fixed guess of eight was a fifth too large for zstd JSON, and for a topic that compresses two to one four
 * times too large, then copied out.
 */
const lastDecodedPerCompressedByte = {
  gzip: FIRST_DECODED_PER_COMPRESSED_BYTE,
  zstd: FIRST_DECODED_PER_COMPRESSED_BYTE,
};

function decompressWithZlib(codec: 'gzip' | 'zstd', compressed: Buffer): Buffer {
  const options = {
    chunkSize: decompressionOutputBytes(compressed.length, lastDecodedPerCompressedByte[codec]),
  };
  const decoded =
    codec === 'gzip' ? zlib.gunzipSync(compressed, options) : zlib.zstdDecompressSync(compressed, options);
  lastDecodedPerCompressedByte[codec] = Math.min(
    MAX_DECODED_PER_COMPRESSED_BYTE,
    Math.max(1, decoded.length / Math.max(1, compressed.length)),
  );
  return decoded.length < decoded.buffer.byteLength * MIN_USED_SHARE_OF_OUTPUT
    ? Buffer.from(decoded)
    : decoded;
}

/** zlib's output buffer for a batch of `compressedBytes` expected to decode to `decodedPerCompressedByte` each. */
export function decompressionOutputBytes(compressedBytes: number, decodedPerCompressedByte: number): number {
  const expected = Math.ceil(compressedBytes * decodedPerCompressedByte * OUTPUT_HEADROOM);
  return Math.min(MAX_OUTPUT_BYTES, Math.max(MIN_OUTPUT_BYTES, expected));
}

/** By Kafka's codec id (attributes bits 0-2). */
const DECOMPRESSORS: Record<number, (compressed: Buffer) => Buffer> = {
  [CODEC_IDS.gzip]: (compressed) => decompressWithZlib('gzip', compressed),
  [CODEC_IDS.snappy]: (compressed) => compressionsAlgorithms.snappy.decompressSync(compressed) as Buffer,
  [CODEC_IDS.lz4]: (compressed) => compressionsAlgorithms.lz4.decompressSync(compressed) as Buffer,
  [CODEC_IDS.zstd]: (compressed) => decompressWithZlib('zstd', compressed),
};

/** A record batch's header fields, and its records read (RecordV2Reader). */
export interface DecodedBatch {
  readonly firstOffset: bigint;
  readonly length: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly firstTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly firstSequence: number;
  readonly records: readonly RecordV2[];
}

/** The batch `received` holds (one whole batch, BaseOffset first), its records decoded. */
export function decodeBatch(received: Buffer): DecodedBatch {
  const firstOffset = received.readBigInt64BE(0);
  const lastOffsetDelta = received.readInt32BE(BATCH_FIELD_AT.lastOffsetDelta);
  const refuse = (why: string) =>
    new Error(
      `the record batch of offsets ${firstOffset} to ${firstOffset + BigInt(lastOffsetDelta)} ${why}`,
    );
  const magic = received.readInt8(BATCH_FIELD_AT.magic);
  if (magic !== MAGIC) throw refuse(`has format v${magic}; georep reads v2 (Kafka 0.11 and later)`);
  const attributes = received.readInt16BE(BATCH_FIELD_AT.attributes);
  const recordCount = received.readInt32BE(BATCH_FIELD_AT.recordCount);
  if (recordCount < 0) throw refuse(`says it has ${recordCount} records`);
  const codec = attributes & CODEC_BITS;
  const decompress = codec === 0 ? (plain: Buffer) => plain : DECOMPRESSORS[codec];
  if (decompress === undefined) throw refuse(`has an unknown codec id ${codec}`);
  const records: RecordV2[] = [];
  let reader: RecordV2Reader;
  try {
    // The records follow the batch's header, as encodeBatchRecords writes it.
    reader = new RecordV2Reader(decompress(received.subarray(BATCH_HEADER_BYTES)));
    for (let index = 0; index < recordCount; index++) records.push(reader.next());
  } catch (error) {
    throw refuse(`cannot be read: ${(error as Error).message}`);
  }
  if (reader.remainingBytes !== 0) {
    throw refuse(`has ${reader.remainingBytes} bytes after its ${recordCount} records`);
  }
  return {
    firstOffset,
    length: received.readInt32BE(BATCH_FIELD_AT.length),
    partitionLeaderEpoch: received.readInt32BE(BATCH_FIELD_AT.partitionLeaderEpoch),
    magic,
    crc: received.readUInt32BE(BATCH_FIELD_AT.crc),
    attributes,
    lastOffsetDelta,
    firstTimestamp: received.readBigInt64BE(BATCH_FIELD_AT.firstTimestamp),
    maxTimestamp: received.readBigInt64BE(BATCH_FIELD_AT.maxTimestamp),
    producerId: received.readBigInt64BE(BATCH_FIELD_AT.producerId),
    producerEpoch: received.readInt16BE(BATCH_FIELD_AT.producerEpoch),
    firstSequence: received.readInt32BE(BATCH_FIELD_AT.firstSequence),
    records,
  };
}

/** A batch the library's own Fetch parser decoded (brokers before Kafka 3.1), in the shape decodeBatch gives. */
export function fromLibraryBatch(batch: RecordsBatch): DecodedBatch {
  return {
    ...batch,
    records: batch.records.map((record) => ({
      attributes: record.attributes,
      timestampDelta: Number(record.timestampDelta),
      offsetDelta: record.offsetDelta,
      key: record.key ?? null,
      value: record.value ?? null,
      headers: record.headers.map(([key, value]) => ({ key: key ?? EMPTY_HEADER_KEY, value: value ?? null })),
    })),
  };
}
