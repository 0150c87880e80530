// Stand-in for kafkajs's Produce v3 request encoder (kafkajs/src/protocol/requests/produce/v3/request.js,
// which v4–v7 reuse), put into Node's module cache by load-kafkajs.ts like the record codec. It writes the
// same bytes as kafkajs's encoder with our record codec, for speed only: kafkajs builds every record in a
// zero-filled buffer of its own, then copies each record batch through four growing buffers, then computes
// its checksum one byte at a time; this one computes the request's exact size first, writes every record
// once into one buffer and checksums each batch in place (../crc32c.ts). Copying 1 KiB records spent more
// CPU time in those copies and in the garbage they left than in anything georep does itself.
//
// Produce Request (v3–v7) => transactional_id acks timeout [topic [partition record_set]]
// RecordBatch => FirstOffset int64, Length int32, PartitionLeaderEpoch int32, Magic int8, CRC uint32,
//   Attributes int16, LastOffsetDelta int32, FirstTimestamp int64, MaxTimestamp int64, ProducerId int64,
//   ProducerEpoch int16, FirstSequence int32, Records [int32 count, records or their compressed bytes]
// The CRC covers everything after it (from Attributes to the end of the batch).
import { crc32c } from '../crc32c.js';
import type { RecordV2, RecordV2Size } from '../record-v2.js';
import { sizeOfRecordV2, writeRecordV2 } from '../record-v2.js';
import { type KafkajsRecordInput, recordFromKafkajsMessage } from './record-codec-patch.js';

/** kafkajs's Encoder, as far as its request and connection code use what encode() returns. */
export interface KafkajsEncoderInstance {
  buf: Buffer;
  offset: number;
}
export type KafkajsEncoderConstructor = { prototype: object };

/** kafkajs's compression codec lookup (protocol/message/compression). */
export interface KafkajsCompression {
  lookupCodec(type: number): { compress(encoder: { buffer: Buffer }): Promise<Buffer> } | null;
}

/** A message as kafkajs's producer passes it: the record fields plus its timestamp. */
export interface KafkajsProduceMessage extends KafkajsRecordInput {
  timestamp?: string | number | null;
}

interface ProducePartitionData {
  partition: number;
  firstSequence?: number;
  messages: KafkajsProduceMessage[];
}

export interface ProduceRequestV3Input {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  /** A kafkajs Long, a string or a number: anything whose toString() is the decimal id. */
  producerId?: { toString(): string } | number;
  producerEpoch?: number;
  compression?: number;
  topicData: { topic: string; partitions: ProducePartitionData[] }[];
}

const PRODUCE_API_KEY = 0;
const MAGIC_BYTE = 2;
const COMPRESSION_CODEC_MASK = 0x07;
const TRANSACTIONAL_FLAG = 0x10;
/** Batch bytes before the records: FirstOffset … FirstSequence (57), then the record count (4). */
const BATCH_HEADER_BYTES = 61;
/** Offset of the CRC within a batch, and of the first byte it covers. */
const CRC_AT = 17;
const CRC_FROM = 21;

/** One partition's batch, sized before anything is written. */
interface PlannedBatch {
  readonly partition: number;
  readonly firstSequence: number;
  readonly records: readonly RecordV2[];
  readonly sizes: readonly RecordV2Size[];
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  /** Compressed records, or null when the records are written as they are. */
  readonly compressed: Buffer | null;
  /** Bytes of the batch, FirstOffset included. */
  readonly bytes: number;
}

export function createProduceRequestV3(Encoder: KafkajsEncoderConstructor, compression: KafkajsCompression) {
  return function produceRequestV3({
    acks,
    timeout,
    transactionalId = null,
    producerId = -1,
    producerEpoch = 0,
    compression: codec = 0,
    topicData,
  }: ProduceRequestV3Input) {
    return {
      apiKey: PRODUCE_API_KEY,
      apiVersion: 3,
      apiName: 'Produce',
      expectResponse: () => acks !== 0,
      encode: async (): Promise<KafkajsEncoderInstance> => {
        const topics: { topic: string; topicBytes: number; batches: PlannedBatch[] }[] = [];
        let size = nullableStringSize(transactionalId) + 2 + 4 + 4;
        for (const { topic, partitions } of topicData) {
          const batches: PlannedBatch[] = [];
          for (const data of partitions) batches.push(await planBatch(data, codec, compression));
          const topicBytes = Buffer.byteLength(topic, 'utf8');
          topics.push({ topic, topicBytes, batches });
          size += 2 + topicBytes + 4;
          for (const batch of batches) size += 4 + 4 + batch.bytes;
        }

        const out = Buffer.allocUnsafe(size);
        let at = writeNullableString(out, 0, transactionalId);
        at = out.writeInt16BE(acks, at);
        at = out.writeInt32BE(timeout, at);
        at = out.writeInt32BE(topics.length, at);
        const attributesBase = (codec & COMPRESSION_CODEC_MASK) | (transactionalId ? TRANSACTIONAL_FLAG : 0);
        const producerIdValue = BigInt(producerId.toString());
        for (const { topic, topicBytes, batches } of topics) {
          at = out.writeInt16BE(topicBytes, at);
          at += out.write(topic, at, 'utf8');
          at = out.writeInt32BE(batches.length, at);
          for (const batch of batches) {
            at = out.writeInt32BE(batch.partition, at);
            at = out.writeInt32BE(batch.bytes, at);
            const start = at;
            at = out.writeBigInt64BE(0n, at); // FirstOffset: the broker assigns offsets
            at = out.writeInt32BE(batch.bytes - 12, at); // Length: of what follows it
            at = out.writeInt32BE(0, at); // PartitionLeaderEpoch
            at = out.writeInt8(MAGIC_BYTE, at);
            at += 4; // CRC, written once the batch is complete
            at = out.writeInt16BE(attributesBase, at);
            at = out.writeInt32BE(batch.records.length - 1, at); // LastOffsetDelta
            at = out.writeBigInt64BE(BigInt(batch.firstTimestamp), at);
            at = out.writeBigInt64BE(BigInt(batch.maxTimestamp), at);
            at = out.writeBigInt64BE(producerIdValue, at);
            at = out.writeInt16BE(producerEpoch, at);
            at = out.writeInt32BE(batch.firstSequence, at);
            at = out.writeInt32BE(batch.records.length, at);
            if (batch.compressed === null) {
              batch.records.forEach((record, index) => {
                at = writeRecordV2(out, at, record, batch.sizes[index]!);
              });
            } else {
              at += batch.compressed.copy(out, at);
            }
            if (at !== start + batch.bytes) {
              throw new Error(`produce request encoder wrote ${at - start} batch bytes into ${batch.bytes}`);
            }
            out.writeUInt32BE(crc32c(out.subarray(start + CRC_FROM, at)), start + CRC_AT);
          }
        }
        if (at !== size) throw new Error(`produce request encoder wrote ${at} bytes into ${size}`);
        return encoderOver(Encoder, out);
      },
    };
  };
}

async function planBatch(
  { partition, firstSequence = 0, messages }: ProducePartitionData,
  codec: number,
  compression: KafkajsCompression,
): Promise<PlannedBatch> {
  // As kafkajs: a message without a timestamp (or with the number 0) gets the current time, and deltas
  // count from the earliest timestamp. Compared as numbers (kafkajs sorts them as strings).
  const nowMs = Date.now();
  const timestamps = messages.map((message) => Number(message.timestamp || nowMs));
  let firstTimestamp = timestamps[0] ?? nowMs;
  let maxTimestamp = firstTimestamp;
  for (const timestamp of timestamps) {
    if (timestamp < firstTimestamp) firstTimestamp = timestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
  }
  const records = messages.map((message, index) =>
    recordFromKafkajsMessage(message, index, BigInt(timestamps[index]! - firstTimestamp)),
  );
  const sizes = records.map(sizeOfRecordV2);
  let recordBytes = 0;
  for (const size of sizes) recordBytes += size.total;

  let compressed: Buffer | null = null;
  if ((codec & COMPRESSION_CODEC_MASK) !== 0) {
    const codecImplementation = compression.lookupCodec(codec);
    if (codecImplementation === null) throw new Error(`compression type ${codec} has no codec registered`);
    const plain = Buffer.allocUnsafe(recordBytes);
    let at = 0;
    records.forEach((record, index) => {
      at = writeRecordV2(plain, at, record, sizes[index]!);
    });
    compressed = await codecImplementation.compress({ buffer: plain });
  }
  return {
    partition,
    firstSequence,
    records,
    sizes,
    firstTimestamp,
    maxTimestamp,
    compressed,
    bytes: BATCH_HEADER_BYTES + (compressed === null ? recordBytes : compressed.length),
  };
}

function nullableStringSize(value: string | null): number {
  return value === null ? 2 : 2 + Buffer.byteLength(value, 'utf8');
}

function writeNullableString(out: Buffer, at: number, value: string | null): number {
  if (value === null) return out.writeInt16BE(-1, at);
  const next = out.writeInt16BE(Buffer.byteLength(value, 'utf8'), at);
  return next + out.write(value, next, 'utf8');
}

/** A kafkajs Encoder holding exactly `bytes` (its constructor would allocate and zero a buffer of its own). */
function encoderOver(Encoder: KafkajsEncoderConstructor, bytes: Buffer): KafkajsEncoderInstance {
  const encoder = Object.create(Encoder.prototype) as KafkajsEncoderInstance;
  encoder.buf = bytes;
  encoder.offset = bytes.length;
  return encoder;
}

/**
 * Stand-in for kafkajs's producer/groupMessagesPerPartition.js: the messages of one send by the partition
 * the partitioner gives, in order. kafkajs's version copies the partition's array for every message
 * (quadratic: a 500-record send made 125,000 copies); this one appends.
 */
export function groupMessagesPerPartition<Message>({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string;
  partitionMetadata: readonly unknown[];
  messages: readonly Message[];
  partitioner: (input: { topic: string; partitionMetadata: readonly unknown[]; message: Message }) => number;
}): Record<number, Message[]> {
  const byPartition: Record<number, Message[]> = {};
  if (partitionMetadata.length === 0) return byPartition;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    let messagesOfPartition = byPartition[partition];
    if (messagesOfPartition === undefined) {
      messagesOfPartition = [];
      byPartition[partition] = messagesOfPartition;
    }
    messagesOfPartition.push(message);
  }
  return byPartition;
}
