// One partition's part of a read_committed fetch response (its record batches decoded by received-batches.ts,
// and the broker's aborted_transactions), turned into the port's records. Pure code.
//
// Done here instead of by the library, which gets three things wrong (docs/platformatic-corrections.md):
// - aborted records: its read_committed filter keeps one aborted range per producer and ignores a range whose
//   abort marker is not in the fetch, so a producer's second aborted transaction in one fetch, and a
//   transaction whose marker lies beyond the end of the fetch, pass. ../aborted-batches.ts decides as Kafka's
//   Java consumer does;
// - timestamps: a record's timestamp is the batch's first timestamp plus its delta, unless the batch says
//   LogAppendTime (attributes bit 3): then every record's timestamp is the batch's max timestamp, the time the
//   broker appended it. The library always adds the delta and has no timestamp type;
// - nothing of a batch before the fetch offset is handed on (a compressed batch is returned whole), and the
//   next offset moves past trailing markers and aborted records, so a commit never reads them again.
// A batch handed on whole, as received, is offered to the sink to forward as it came (OriginBatch).
import type { fetchV17 } from '@platformatic/kafka';
import { batchesOfAbortedTransactions, isAbortMarkerKey } from '../aborted-batches.js';
import type { CompressionCodec, ConsumedRecord, OriginBatch, TimestampType } from '../port.js';
import type { RecordV2 } from '../record-v2.js';
import type { ReceivedBatch } from './fetch-response.js';
import { CODEC_BITS } from './record-batch.js';

/** Kafka's codec ids (attributes bits 0-2); an id Kafka does not define reads as none, as nothing decoded it. */
const CODECS: readonly CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const LOG_APPEND_TIME_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;
/** A batch with any other attribute (LogAppendTime, control, a delete horizon) is never forwarded as it came. */
const FORWARDABLE_ATTRIBUTES = CODEC_BITS | TRANSACTIONAL_BIT;
/** What a batch costs beyond its `length` field: the base offset (int64) and the length itself (int32). */
const BATCH_LOG_OVERHEAD_BYTES = 12;

export interface PartitionRead {
  /** The records to hand on, in offset order; possibly none (only markers or aborted records). */
  readonly records: ConsumedRecord[];
  /** Where the partition's next fetch starts: past the last batch of this fetch, else the fetch offset. */
  readonly nextOffset: bigint;
  /** Bytes these records hold in memory: the batches as received, plus what compressed ones decoded to. */
  readonly bytes: number;
  /** The batches as received, compressed: what the fetch's maxBytes counted. */
  readonly receivedBytes: number;
}

export function readPartition(
  partition: number,
  fetchOffset: bigint,
  batches: readonly ReceivedBatch[],
  abortedTransactions: readonly fetchV17.FetchResponsePartitionAbortedTransaction[] | null,
): PartitionRead {
  const described = batches.map((batch) => ({
    batch,
    lastOffset: batch.firstOffset + BigInt(batch.lastOffsetDelta),
    producerId: batch.producerId,
    transactional: (batch.attributes & TRANSACTIONAL_BIT) !== 0,
    control: (batch.attributes & CONTROL_BIT) !== 0,
    abortMarker: (batch.attributes & CONTROL_BIT) !== 0 && isAbortMarkerKey(batch.records[0]?.key),
  }));
  const aborted = new Set(batchesOfAbortedTransactions(described, abortedTransactions ?? []));
  const records: ConsumedRecord[] = [];
  let nextOffset = fetchOffset;
  let receivedBytes = 0;
  let decodedBytes = 0;
  for (const entry of described) {
    const { batch } = entry;
    receivedBytes += batch.length + BATCH_LOG_OVERHEAD_BYTES;
    if (entry.lastOffset >= nextOffset) nextOffset = entry.lastOffset + 1n;
    if (entry.control || aborted.has(entry)) continue;
    const compression = CODECS[batch.attributes & CODEC_BITS] ?? 'none';
    const originBatch = forwardable(batch, fetchOffset, compression);
    const timestamps = timestampsOf(batch);
    for (const record of batch.records) {
      const consumed = toConsumedRecord(partition, batch, record, compression, timestamps, originBatch);
      if (consumed.offset < fetchOffset) continue;
      records.push(consumed);
      originBatch?.records.push(consumed);
      if (compression !== 'none') decodedBytes += decodedBytesOf(record);
    }
  }
  return { records, nextOffset, bytes: receivedBytes + decodedBytes, receivedBytes };
}

/**
 * The batch as an OriginBatch (its records still to be added) when a sink may forward it as it came: its bytes
 * were kept, every record of it is handed on (none before the fetch offset), their offsets follow each other
 * (a compacted batch can have gaps, which the destination's offsets and sequences would not keep), and it has
 * CreateTime timestamps (a LogAppendTime record is written with the origin's append time as CreateTime).
 */
function forwardable(
  batch: ReceivedBatch,
  fetchOffset: bigint,
  codec: CompressionCodec,
): (OriginBatch & { records: ConsumedRecord[] }) | undefined {
  if (batch.received === undefined || batch.firstOffset < fetchOffset) return undefined;
  if (
    (batch.attributes & ~FORWARDABLE_ATTRIBUTES) !== 0 ||
    CODECS[batch.attributes & CODEC_BITS] === undefined
  )
    return undefined;
  if (batch.records.length !== batch.lastOffsetDelta + 1) return undefined;
  if (!batch.records.every((record, index) => record.offsetDelta === index)) return undefined;
  return { received: batch.received, codec, records: [] };
}

/** How a batch's records get their timestamps: worked out once per batch, applied per record. */
interface BatchTimestamps {
  readonly type: TimestampType;
  /** The batch's max timestamp (LogAppendTime, every record's) or its first (CreateTime, plus each delta). */
  readonly baseMs: number;
}

function timestampsOf(batch: ReceivedBatch): BatchTimestamps {
  return (batch.attributes & LOG_APPEND_TIME_BIT) !== 0
    ? { type: 'log-append-time', baseMs: Number(batch.maxTimestamp) }
    : { type: 'create-time', baseMs: Number(batch.firstTimestamp) };
}

function toConsumedRecord(
  partition: number,
  batch: ReceivedBatch,
  record: RecordV2,
  compression: CompressionCodec,
  timestamps: BatchTimestamps,
  originBatch: OriginBatch | undefined,
): ConsumedRecord {
  return {
    partition,
    offset: batch.firstOffset + BigInt(record.offsetDelta),
    timestampMs:
      timestamps.type === 'log-append-time' ? timestamps.baseMs : timestamps.baseMs + record.timestampDelta,
    timestampType: timestamps.type,
    key: record.key,
    value: record.value,
    headers: record.headers,
    compression,
    ...(originBatch === undefined ? {} : { originBatch }),
  };
}

function decodedBytesOf(record: RecordV2): number {
  let total = (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const header of record.headers) total += header.key.length + (header.value?.length ?? 0);
  return total;
}
