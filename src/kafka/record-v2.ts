// One record of Kafka's record batch format v2 (magic 2, Kafka >= 0.11), encoded and read byte for byte: headers
// in order, repeated keys and null values kept. Pure code over Buffers; the sink's batch encoder
// (platformatic/record-batch.ts) writes every record of a batch with it into one buffer, and fetched batches
// are read with RecordV2Reader (platformatic/received-batches.ts).
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
  /**
   * Milliseconds from the batch's first timestamp: a number, exact within ±2^53 like every timestamp georep
   * handles (ConsumedRecord.timestampMs); a wider one read from a batch is rounded to the nearest.
   */
  readonly timestampDelta: number;
  readonly offsetDelta: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

const NULL_LENGTH = -1;

/** A null header key, which Kafka's producers refuse, is kept as the empty key should one arrive anyway. */
export const EMPTY_HEADER_KEY = Buffer.alloc(0);
const MAX_VARINT_BYTES = 5;
const MAX_VARLONG_BYTES = 10;

/**
 * Reads the records of a batch (its records part, decompressed) one after another; keys, values and headers are
 * views into `buffer`. What Kafka's Java consumer refuses is refused with a RangeError: a record that runs past
 * the end, or whose length prefix does not count its bytes, a negative header count, an over-long varint.
 * Written for the fetch path, where the library's reader took an array per varint and a BigInt per byte of
 * every timestamp delta.
 */
export class RecordV2Reader {
  readonly #buffer: Buffer;
  #position = 0;

  constructor(buffer: Buffer) {
    this.#buffer = buffer;
  }

  next(): RecordV2 {
    const length = this.#varint();
    const bodyStart = this.#position;
    const attributes = (this.#byte() << 24) >> 24; // int8
    const timestampDelta = this.#varlong();
    const offsetDelta = this.#varint();
    const key = this.#nullableBytes();
    const value = this.#nullableBytes();
    const headerCount = this.#varint();
    if (headerCount < 0) throw new RangeError(`a record has ${headerCount} headers`);
    const headers: RecordHeader[] = [];
    for (let index = 0; index < headerCount; index++) {
      const headerKey = this.#nullableBytes() ?? EMPTY_HEADER_KEY;
      headers.push({ key: headerKey, value: this.#nullableBytes() });
    }
    if (this.#position - bodyStart !== length) {
      throw new RangeError(
        `a record's length says ${length} bytes, its fields took ${this.#position - bodyStart}`,
      );
    }
    return { attributes, timestampDelta, offsetDelta, key, value, headers };
  }

  /** Bytes not read yet: none once a batch's last record is read. */
  get remainingBytes(): number {
    return this.#buffer.length - this.#position;
  }

  #byte(): number {
    const byte = this.#buffer[this.#position];
    if (byte === undefined)
      throw new RangeError(`a record runs past the end of its batch (${this.#buffer.length} bytes)`);
    this.#position++;
    return byte;
  }

  /** Bits beyond 32 in a fifth byte are dropped, as Java's ByteUtils.readVarint drops them: always an int32. */
  #varint(): number {
    return zigzagDecode(this.#unsignedVarint(MAX_VARINT_BYTES) % 2 ** 32);
  }

  #varlong(): number {
    const start = this.#position;
    const unsigned = this.#unsignedVarint(MAX_VARLONG_BYTES);
    if (unsigned <= Number.MAX_SAFE_INTEGER) return zigzagDecode(unsigned);
    // Beyond 2^53 the number sum was rounded: decoded again exactly, bits beyond 64 dropped as Java's
    // readVarlong drops them, then rounded once.
    let exact = 0n;
    for (let at = this.#position - 1; at >= start; at--) {
      exact = (exact << 7n) | BigInt((this.#buffer[at] as number) & 0x7f);
    }
    exact = BigInt.asUintN(64, exact);
    return Number((exact >> 1n) ^ -(exact & 1n));
  }

  /** Base-128, least significant group first; in number arithmetic, exact up to 2^53. */
  #unsignedVarint(maxBytes: number): number {
    let unsigned = 0;
    let scale = 1;
    for (let read = 1; ; read++) {
      const byte = this.#byte();
      unsigned += (byte & 0x7f) * scale;
      if (byte < 0x80) return unsigned;
      if (read === maxBytes) throw new RangeError(`a varint longer than ${maxBytes} bytes`);
      scale *= 128;
    }
  }

  #nullableBytes(): Buffer | null {
    const length = this.#varint();
    if (length === NULL_LENGTH) return null;
    const end = this.#position + length;
    if (length < 0 || end > this.#buffer.length) {
      throw new RangeError(`a record's field of ${length} bytes runs past the end of its batch`);
    }
    const bytes = this.#buffer.subarray(this.#position, end);
    this.#position = end;
    return bytes;
  }
}

function zigzagDecode(unsigned: number): number {
  return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
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

const INT64_MIN = -(2 ** 63);
/** The first number above int64: 2^63 - 1 itself is not a number, and rounds to this. */
const ABOVE_INT64 = 2 ** 63;

function zigzag64(value: number): bigint {
  if (!Number.isInteger(value) || value < INT64_MIN || value >= ABOVE_INT64) {
    throw new RangeError(`${value} is not an int64`);
  }
  const exact = BigInt(value);
  return BigInt.asUintN(64, (exact << 1n) ^ (exact >> 63n));
}

/** Deltas within ±2^30 take the varint path: the same bytes, without BigInt arithmetic. */
const SMALL_VARLONG = 2 ** 30;

export function sizeOfVarlong(value: number): number {
  if (value > -SMALL_VARLONG && value < SMALL_VARLONG) return sizeOfVarint(value);
  let unsigned = zigzag64(value);
  let size = 1;
  while (unsigned >= 0x80n) {
    unsigned >>= 7n;
    size++;
  }
  return size;
}

export function writeVarlong(out: Buffer, position: number, value: number): number {
  if (value > -SMALL_VARLONG && value < SMALL_VARLONG) return writeVarint(out, position, value);
  let unsigned = zigzag64(value);
  let at = position;
  while (unsigned >= 0x80n) {
    out[at++] = Number(unsigned & 0x7fn) | 0x80;
    unsigned >>= 7n;
  }
  out[at++] = Number(unsigned);
  return at;
}
