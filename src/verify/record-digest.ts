// What `georep verify` compares of a record, and the digest of a window of records. Pure code.
//
// A record is its key, value, headers and timestamp, the four things a mirror copies (docs/verify.md). Keys,
// values and header parts are compared as bytes, null apart from empty; headers as an ordered list, repeats and
// null values included. The offset is not part of it (destination offsets may differ from the origin's), nor the
// timestamp type (a destination topic may use LogAppendTime on purpose; then its timestamps differ, and verify
// says so).
import { createHash, type Hash } from 'node:crypto';
import type { ConsumedRecord, RecordHeader } from '../kafka/port.js';

export type RecordField = 'key' | 'value' | 'headers' | 'timestamp';

/** The fields in which two records differ, in the order above; empty when they are the same record. */
export function differingFields(origin: ConsumedRecord, destination: ConsumedRecord): RecordField[] {
  const fields: RecordField[] = [];
  if (!sameBytes(origin.key, destination.key)) fields.push('key');
  if (!sameBytes(origin.value, destination.value)) fields.push('value');
  if (!sameHeaders(origin.headers, destination.headers)) fields.push('headers');
  if (origin.timestampMs !== destination.timestampMs) fields.push('timestamp');
  return fields;
}

/**
 * Feeds one record into `hash` in an unambiguous encoding: every part is length-prefixed and null is told
 * apart from empty, so two different sequences of records never feed the same bytes.
 */
export function updateDigest(hash: Hash, record: ConsumedRecord): void {
  updateBytes(hash, record.key);
  updateBytes(hash, record.value);
  hash.update(uint32(record.headers.length));
  for (const header of record.headers) {
    updateBytes(hash, header.key);
    updateBytes(hash, header.value);
  }
  const timestamp = Buffer.alloc(8);
  timestamp.writeBigInt64BE(BigInt(record.timestampMs));
  hash.update(timestamp);
}

/** SHA-256 (hex) of the records in order: equal for two windows exactly when they hold the same records. */
export function windowDigest(records: readonly ConsumedRecord[]): string {
  const hash = createHash('sha256');
  for (const record of records) updateDigest(hash, record);
  return hash.digest('hex');
}

/** Bytes of a record's key, value and headers: what reading it cost, roughly, for the report. */
export function recordBytes(record: ConsumedRecord): number {
  let total = (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const header of record.headers) total += header.key.length + (header.value?.length ?? 0);
  return total;
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

function sameHeaders(a: readonly RecordHeader[], b: readonly RecordHeader[]): boolean {
  return a.length === b.length && a.every((header, index) => sameHeader(header, b[index]!));
}

function sameHeader(a: RecordHeader, b: RecordHeader): boolean {
  return a.key.equals(b.key) && sameBytes(a.value, b.value);
}

const NULL_MARK = Buffer.from([0]);
const PRESENT_MARK = Buffer.from([1]);

function updateBytes(hash: Hash, bytes: Buffer | null): void {
  if (bytes === null) {
    hash.update(NULL_MARK);
    return;
  }
  hash.update(PRESENT_MARK);
  hash.update(uint32(bytes.length));
  hash.update(bytes);
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}
