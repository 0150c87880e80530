// One record of Kafka's record batch format v2 (magic 2, Kafka >= 0.11), encoded byte for byte: headers in
// order, repeated keys and null values kept. Pure code over Buffers; the sink's batch encoder
// (platformatic/record-batch.ts) writes every record of a batch with it into one buffer.
//
//   Record =>
//     Length => varint                (of everything below)
//     Attributes => int8              (unused by Kafka so far; kept as read)
//     TimestampDelta => varlong       (from the batch's first timestamp)
//     OffsetDelta => varint           (from the batch's first offset)
//     KeyLength => varint, Key => bytes           (-1: null key)
//     ValueLength => varint, Value => bytes       (-1: null value, a tombstone)
//     HeaderCount => varint
//     Headers => [HeaderKeyLength => varint, HeaderKey => bytes (UTF-8 by convention),
//                 HeaderValueLength => varint, HeaderValue => bytes]   (-1: null header value)
//
// Varints are zigzag-encoded base-128 (protobuf style): varint for int32, varlong for int64.
import type { RecordHeader } from './port.js';

export interface RecordV2 {
  readonly attributes: number;
  readonly timestampDelta: bigint;
  readonly offsetDelta: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

const NULL_LENGTH = -1;

/** What writeRecordV2 needs to know of a record's size, computed once. */
export interface RecordV2Size {
  /** Bytes of the record after its length prefix. */
  readonly body: number;
  /** Bytes of the whole record, length prefix included. */
  readonly total: number;
}

export function sizeOfRecordV2(record: RecordV2): RecordV2Size {
  let body =
    1 +
    sizeOfVarlong(record.timestampDelta) +
    sizeOfVarint(record.offsetDelta) +
    sizeOfNullableBytes(record.key) +
    sizeOfNullableBytes(record.value) +
    sizeOfVarint(record.headers.length);
  for (const header of record.headers) {
    body += sizeOfVarint(header.key.length) + header.key.length + sizeOfNullableBytes(header.value);
  }
  return { body, total: sizeOfVarint(body) + body };
}

/**
 * Writes a record, its length prefix included, into `out` at `start`, for encoders that build a whole batch
 * in one buffer; `size` is sizeOfRecordV2(record). Returns the position after it.
 */
export function writeRecordV2(out: Buffer, start: number, record: RecordV2, size: RecordV2Size): number {
  let position = writeVarint(out, start, size.body);
  position = out.writeInt8(record.attributes, position);
  position = writeVarlong(out, position, record.timestampDelta);
  position = writeVarint(out, position, record.offsetDelta);
  position = writeNullableBytes(out, position, record.key);
  position = writeNullableBytes(out, position, record.value);
  position = writeVarint(out, position, record.headers.length);
  for (const header of record.headers) {
    position = writeVarint(out, position, header.key.length);
    position += header.key.copy(out, position);
    position = writeNullableBytes(out, position, header.value);
  }
  if (position !== start + size.total) {
    throw new Error(`record encoder wrote ${position - start} bytes into ${size.total}`);
  }
  return position;
}

function sizeOfNullableBytes(bytes: Buffer | null): number {
  return bytes === null ? sizeOfVarint(NULL_LENGTH) : sizeOfVarint(bytes.length) + bytes.length;
}

function writeNullableBytes(out: Buffer, position: number, bytes: Buffer | null): number {
  if (bytes === null) {
    return writeVarint(out, position, NULL_LENGTH);
  }
  const afterLength = writeVarint(out, position, bytes.length);
  return afterLength + bytes.copy(out, afterLength);
}

function zigzag32(value: number): number {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
    throw new RangeError(`${value} is not an int32`);
  }
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

export function sizeOfVarint(value: number): number {
  let unsigned = zigzag32(value);
  let size = 1;
  while (unsigned >= 0x80) {
    unsigned = Math.floor(unsigned / 128);
    size++;
  }
  return size;
}

export function writeVarint(out: Buffer, position: number, value: number): number {
  let unsigned = zigzag32(value);
  let at = position;
  while (unsigned >= 0x80) {
    out[at++] = (unsigned & 0x7f) | 0x80;
    unsigned = Math.floor(unsigned / 128);
  }
  out[at++] = unsigned;
  return at;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function zigzag64(value: bigint): bigint {
  if (value < INT64_MIN || value > INT64_MAX) {
    throw new RangeError(`${value} is not an int64`);
  }
  return BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
}

/** Deltas within ±2^30 take the varint path: the same bytes, without BigInt arithmetic. */
const SMALL_VARLONG = 1n << 30n;

export function sizeOfVarlong(value: bigint): number {
  if (value > -SMALL_VARLONG && value < SMALL_VARLONG) return sizeOfVarint(Number(value));
  let unsigned = zigzag64(value);
  let size = 1;
  while (unsigned >= 0x80n) {
    unsigned >>= 7n;
    size++;
  }
  return size;
}

export function writeVarlong(out: Buffer, position: number, value: bigint): number {
  if (value > -SMALL_VARLONG && value < SMALL_VARLONG) return writeVarint(out, position, Number(value));
  let unsigned = zigzag64(value);
  let at = position;
  while (unsigned >= 0x80n) {
    out[at++] = Number(unsigned & 0x7fn) | 0x80;
    unsigned >>= 7n;
  }
  out[at++] = Number(unsigned);
  return at;
}
