// One record of Kafka's record batch format v2 (magic 2, Kafka >= 0.11), encoded and decoded byte for byte.
// Pure code over Buffers, independent of any client: the kafkajs adapter plugs it into kafkajs in place of
// kafkajs's own record codec, which cannot carry headers in order, with repeated keys, or with null values.
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

/** Thrown when bytes are not a well-formed v2 record (truncated, negative lengths, trailing bytes). */
export class RecordFormatError extends Error {
  /** Reading the same bytes again fails the same way (kafkajs reads this flag and does not retry). */
  readonly retriable = false;

  constructor(message: string) {
    super(message);
    this.name = 'RecordFormatError';
  }
}

const NULL_LENGTH = -1;

/** Encodes a record, its length prefix included, exactly as a batch carries it. */
export function encodeRecordV2(record: RecordV2): Buffer {
  const size = sizeOfRecordV2(record);
  const out = Buffer.allocUnsafe(size.total);
  writeRecordV2(out, 0, record, size);
  return out;
}

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

/**
 * Decodes the body of one record (what follows its length prefix) from `bytes[start, end)`, which must hold
 * exactly one record. Key, value and header values are views into `bytes`, not copies.
 */
export function decodeRecordV2Body(bytes: Buffer, start = 0, end = bytes.length): RecordV2 {
  const reader = new Reader(bytes, start, end);
  const attributes = reader.int8();
  const timestampDelta = reader.varlong();
  const offsetDelta = reader.varint();
  const key = reader.nullableBytes('key');
  const value = reader.nullableBytes('value');
  const headerCount = reader.varint();
  if (headerCount < 0) {
    throw new RecordFormatError(`record has a negative header count (${headerCount})`);
  }
  const headers: RecordHeader[] = [];
  for (let index = 0; index < headerCount; index++) {
    const keyLength = reader.varint();
    if (keyLength < 0) {
      throw new RecordFormatError(`header ${index} has a null key, which Kafka does not allow`);
    }
    const headerKey = reader.bytes(keyLength, `header ${index} key`);
    headers.push({ key: headerKey, value: reader.nullableBytes(`header ${index} value`) });
  }
  if (reader.position !== end) {
    throw new RecordFormatError(`record has ${end - reader.position} bytes after its last header`);
  }
  return { attributes, timestampDelta, offsetDelta, key, value, headers };
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

/** Reads the fields of a record body; every read checks the bounds so truncated input cannot be misread. */
class Reader {
  position: number;

  constructor(
    private readonly input: Buffer,
    start: number,
    private readonly end: number,
  ) {
    this.position = start;
  }

  private byte(what: string): number {
    if (this.position >= this.end) {
      throw new RecordFormatError(`record ends inside its ${what}`);
    }
    return this.input[this.position++]!;
  }

  int8(): number {
    return (this.byte('attributes') << 24) >> 24;
  }

  varint(): number {
    let unsigned = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.byte('varint');
      unsigned += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (unsigned > 0xffffffff) {
          throw new RecordFormatError('varint does not fit in 32 bits');
        }
        return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
      }
    }
    throw new RecordFormatError('varint is longer than 5 bytes');
  }

  varlong(): bigint {
    // Up to 7 bytes (49 bits) in plain numbers, which hold them exactly; BigInt only for longer ones.
    const start = this.position;
    let small = 0;
    for (let shift = 0; shift < 49; shift += 7) {
      const byte = this.byte('varlong');
      small += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return BigInt(small % 2 === 0 ? small / 2 : -(small + 1) / 2);
    }
    this.position = start;
    let unsigned = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.byte('varlong');
      unsigned |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        if (unsigned > 0xffffffffffffffffn) {
          throw new RecordFormatError('varlong does not fit in 64 bits');
        }
        return (unsigned >> 1n) ^ -(unsigned & 1n);
      }
    }
    throw new RecordFormatError('varlong is longer than 10 bytes');
  }

  bytes(length: number, what: string): Buffer {
    if (this.position + length > this.end) {
      throw new RecordFormatError(`record ends inside its ${what}`);
    }
    const view = this.input.subarray(this.position, this.position + length);
    this.position += length;
    return view;
  }

  nullableBytes(what: string): Buffer | null {
    const length = this.varint();
    if (length === NULL_LENGTH) {
      return null;
    }
    if (length < 0) {
      throw new RecordFormatError(`record has a negative ${what} length (${length})`);
    }
    return this.bytes(length, what);
  }
}
