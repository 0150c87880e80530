// A record batch (format v2, magic 2) as a producer sends it, built in one buffer with georep's own record
// encoder (../record-v2.ts). Why not the library's createRecordsBatch: it takes headers as a Map (a repeated
// key only as distinct Buffer objects, a null value only through a cast), and builds every record in a
// growing buffer of its own before copying it into the batch; this one sizes the batch first and writes each
// record once. Compression: batch-compression.ts (gzip and zstd are Node's zlib, zstd from Node 22.15, on its
// thread pool but for small batches; snappy and lz4 the library's WebAssembly codecs).
//
// RecordBatch => BaseOffset int64, Length int32, PartitionLeaderEpoch int32, Magic int8, CRC uint32,
//   Attributes int16, LastOffsetDelta int32, BaseTimestamp int64, MaxTimestamp int64, ProducerId int64,
//   ProducerEpoch int16, BaseSequence int32, Records [int32 count, records or their compressed bytes]
// The CRC (CRC-32C) covers everything after it, from Attributes to the end of the batch.
import { crc32c } from '@platformatic/kafka';
import type { CompressionCodec, RecordToWrite } from '../port.js';
import { type RecordV2, type RecordV2Size, sizeOfRecordV2, writeRecordV2 } from '../record-v2.js';
import type { WriteChunk } from '../write-chunks.js';
import { compressRecords } from './batch-compression.js';

/** Who writes the batch: an idempotent or transactional producer's id, epoch and the batch's first sequence. */
export interface BatchProducer {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  /** Records of a transaction: read_committed consumers see them only once it commits. */
  readonly transactional: boolean;
}

/** Record batch format v2, the only one Kafka writes since 0.11. */
export const MAGIC = 2;
/** Batch bytes before the records: BaseOffset … BaseSequence (57), then the record count (4). */
export const BATCH_HEADER_BYTES = 61;
/** Where each field of a batch's header sits (see the layout above). */
export const BATCH_FIELD_AT = {
  length: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  firstTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  firstSequence: 53,
  recordCount: 57,
} as const;
/** The first byte the CRC covers: Attributes. */
const CRC_FROM = BATCH_FIELD_AT.attributes;
const TRANSACTIONAL_ATTRIBUTE = 0x10;
/** Java's producer leaves it unset (-1); the broker fills it in. */
const NO_PARTITION_LEADER_EPOCH = -1;

/** ProducerId int64, ProducerEpoch int16, BaseSequence int32. */
const PRODUCER_FIELDS_BYTES = 14;
/** The codec's id among a batch's attributes. */
export const CODEC_BITS = 0x07;

export const CODEC_IDS: Record<CompressionCodec, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
/**
 * Encodes `records` (at least one) as one batch, all but the producer's fields and the CRC (stampBatch's): the
 * costly part, which can go ahead of knowing the sequence the batch will have. Each record keeps its key,
 * value, headers (in order, with repeats and null values) and timestamp as CreateTime; timestamps are deltas
 * from the first record's.
 */
export async function encodeBatchRecords(
  records: readonly RecordToWrite[],
  codec: CompressionCodec,
): Promise<Buffer> {
  if (records.length === 0) throw new Error('a record batch needs at least one record');
  const baseTimestampMs = records[0]!.timestampMs;
  let maxTimestampMs = baseTimestampMs;
  const encoded: RecordV2[] = [];
  const sizes: RecordV2Size[] = [];
  let recordBytes = 0;
  records.forEach((record, index) => {
    if (record.timestampMs > maxTimestampMs) maxTimestampMs = record.timestampMs;
    const v2: RecordV2 = {
      attributes: 0,
      timestampDelta: record.timestampMs - baseTimestampMs,
      offsetDelta: index,
      key: record.key,
      value: record.value,
      headers: record.headers,
    };
    const size = sizeOfRecordV2(v2);
    encoded.push(v2);
    sizes.push(size);
    recordBytes += size.total;
  });

  let compressed: Buffer | null = null;
  if (codec !== 'none') {
    compressed = await compressRecords(codec, recordBytes, (plain) => {
      let at = 0;
      encoded.forEach((record, index) => {
        at = writeRecordV2(plain, at, record, sizes[index]!);
      });
      // The buffer is reused: bytes not written now would be an earlier batch's.
      if (at !== plain.length) throw new Error(`record encoder wrote ${at} bytes into ${plain.length}`);
    });
  }

  const batchBytes = BATCH_HEADER_BYTES + (compressed === null ? recordBytes : compressed.length);
  const out = Buffer.allocUnsafe(batchBytes);
  let at = out.writeBigInt64BE(0n, 0); // BaseOffset: the broker assigns offsets
  at = out.writeInt32BE(batchBytes - 12, at); // Length: of what follows it
  at = out.writeInt32BE(NO_PARTITION_LEADER_EPOCH, at);
  at = out.writeInt8(MAGIC, at);
  at += 4; // CRC, written by stampBatch
  at = out.writeInt16BE(CODEC_IDS[codec], at); // the transactional bit is stampBatch's
  at = out.writeInt32BE(records.length - 1, at); // LastOffsetDelta
  at = out.writeBigInt64BE(BigInt(baseTimestampMs), at);
  at = out.writeBigInt64BE(BigInt(maxTimestampMs), at);
  at += PRODUCER_FIELDS_BYTES; // ProducerId, ProducerEpoch, BaseSequence: stampBatch's
  at = out.writeInt32BE(records.length, at);
  if (compressed === null) {
    encoded.forEach((record, index) => {
      at = writeRecordV2(out, at, record, sizes[index]!);
    });
  } else {
    at += compressed.copy(out, at);
  }
  if (at !== batchBytes) throw new Error(`record batch encoder wrote ${at} bytes into ${batchBytes}`);
  return out;
}

/**
 * Writes `producer`'s fields (the transactional bit among the attributes) and the CRC into a batch, in place,
 * and returns it: a batch sent again under another producer id or sequence is stamped again. In place is safe
 * because the library's connection copies a request (header and payload joined) when it is queued, so a request
 * that failed or timed out cannot go out later with the new stamp.
 */
function stampBatch(bytes: Buffer, producer: BatchProducer): Buffer {
  const codecBits = bytes.readInt16BE(BATCH_FIELD_AT.attributes) & CODEC_BITS;
  bytes.writeInt16BE(
    codecBits | (producer.transactional ? TRANSACTIONAL_ATTRIBUTE : 0),
    BATCH_FIELD_AT.attributes,
  );
  bytes.writeBigInt64BE(producer.producerId, BATCH_FIELD_AT.producerId);
  bytes.writeInt16BE(producer.producerEpoch, BATCH_FIELD_AT.producerEpoch);
  bytes.writeInt32BE(producer.baseSequence, BATCH_FIELD_AT.firstSequence);
  bytes.writeUInt32BE(crc32c(bytes.subarray(CRC_FROM)), BATCH_FIELD_AT.crc);
  return bytes;
}

/** Encodes `records` (at least one) as one batch of `producer`'s (encodeBatchRecords, then stampBatch). */
export async function encodeRecordBatch(
  records: readonly RecordToWrite[],
  producer: BatchProducer,
  codec: CompressionCodec,
): Promise<Buffer> {
  return stampBatch(await encodeBatchRecords(records, codec), producer);
}

/**
 * A batch read from the origin (`received`, as the broker sent it), made the destination's without touching its
 * records: they keep their bytes, compressed or not, with their timestamps and offset deltas, and so does the
 * batch's LastOffsetDelta, BaseTimestamp and MaxTimestamp. What the destination owns is written anew, as
 * encodeRecordBatch writes it: BaseOffset 0 (the broker assigns offsets), no partition leader epoch, the
 * writing producer's id, epoch and sequence, the transactional bit as that producer writes, and the CRC.
 * Attributes other than the codec are the caller's to rule out (OriginBatch is offered only without them).
 */
export function forwardRecordBatch(received: Buffer, producer: BatchProducer): Buffer {
  if (received.length < BATCH_HEADER_BYTES || received.readInt8(BATCH_FIELD_AT.magic) !== MAGIC) {
    throw new Error('only a record batch of format v2 can be forwarded');
  }
  if (received.readInt32BE(BATCH_FIELD_AT.length) !== received.length - 12) {
    throw new Error(
      `a record batch of ${received.length} bytes says it has ${received.readInt32BE(BATCH_FIELD_AT.length) + 12}`,
    );
  }
  const out = Buffer.from(received);
  out.writeBigInt64BE(0n, 0);
  out.writeInt32BE(NO_PARTITION_LEADER_EPOCH, BATCH_FIELD_AT.partitionLeaderEpoch);
  return stampBatch(out, producer);
}

/** A chunk of a write, with its records' encoding started ahead of its turn (encodeAhead). */
export type PreparedChunk = WriteChunk & { readonly encoded?: Promise<Buffer> };

/**
 * Starts encoding a chunk's records, so that compressing a large one on zlib's thread pool goes on while the
 * chunk before it is being written (a small one is compressed right away, in well under a millisecond); a
 * forwarded chunk has nothing to encode.
 */
export function encodeAhead(chunk: WriteChunk): PreparedChunk {
  if (chunk.forward !== undefined) return chunk;
  const encoded = encodeBatchRecords(chunk.records, chunk.codec);
  // Awaited in its turn (batchOf); a write that fails before then leaves it, and its failure, unwatched.
  encoded.catch(() => undefined);
  return { ...chunk, encoded };
}

/** The batch a chunk goes as: its origin batch forwarded as it came, else its records encoded. */
export async function batchOf(chunk: PreparedChunk, producer: BatchProducer): Promise<Buffer> {
  if (chunk.forward !== undefined) return forwardRecordBatch(chunk.forward.received, producer);
  return stampBatch(await (chunk.encoded ?? encodeBatchRecords(chunk.records, chunk.codec)), producer);
}

/** The sequence that follows `count` records from `sequence`: Kafka's sequences wrap from 2^31-1 to 0. */
export function nextSequence(sequence: number, count: number): number {
  return (sequence + count) % 2 ** 31;
}
