// The records the port carries: what a source reads and a sink writes, byte for byte as Kafka has them.
import type { CompressionCodec } from '../../config/types.js';

/** How Kafka assigned a record's timestamp (the topic's `message.timestamp.type`). */
export type TimestampType = 'create-time' | 'log-append-time';

/**
 * One record header. Headers are an ordered list: keys may repeat and a value may be null, and both the
 * order and the repetitions are part of the record (KIP-82), so they are kept exactly as they were.
 */
export interface RecordHeader {
  /**
   * The key's bytes as they were on the wire. Java clients write UTF-8 text, but the record format allows any
   * bytes and other clients write them, so a mirror keeps bytes: decoding to a string would replace invalid
   * UTF-8 with U+FFFD and the copy would differ. Compare with `equals`; make one with `Buffer.from('name')`.
   */
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/** A record as read from a partition: everything a mirror copies, plus where it was. */
export interface ConsumedRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly timestampMs: number;
  readonly timestampType: TimestampType;
  /** null is a record without a key, which is not the same as an empty key. */
  readonly key: Buffer | null;
  /** null is a tombstone, which is not the same as an empty value. */
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
  /**
   * Codec of the origin batch the record was read from, so that a copy can leave compressed as it arrived.
   * Absent where the client behind the port cannot tell; a write with compression `origin` takes it as `none`.
   */
  readonly compression?: CompressionCodec;
  /** The origin batch the record was read from, where a sink may forward that batch as it came (OriginBatch). */
  readonly originBatch?: OriginBatch;
}

/**
 * A record batch as read from the origin, offered to a sink so that it can send the batch on without encoding
 * (and compressing) its records again: only the fields the destination owns change (offsets, producer id,
 * epoch and sequence, partition leader epoch, checksum). Offered only for batches whose every record is handed
 * on, with offsets one after the other, CreateTime timestamps and no attribute but codec and transaction.
 */
export interface OriginBatch {
  /** The batch's bytes as received: BaseOffset to the end of its records (compressed as they were). */
  readonly received: Buffer;
  readonly codec: CompressionCodec;
  /**
   * The records read from it, in order. A write forwards the batch only where it writes these very objects, all
   * of them and in this order: a record changed on the way (a header added) is a new object, and the batch
   * is then encoded again.
   */
  readonly records: readonly RecordToWrite[];
}

/** What a sink writes. A ConsumedRecord is one: the partition is given per write and the offset is the destination's. */
export interface RecordToWrite {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
  /** Written as the record's CreateTime; a destination topic with LogAppendTime replaces it. */
  readonly timestampMs: number;
  /** The codec a write with compression `origin` uses for this record (absent: `none`). */
  readonly compression?: CompressionCodec;
  /** The origin batch the record came in, which a sink may forward unchanged (see OriginBatch). */
  readonly originBatch?: OriginBatch;
}
