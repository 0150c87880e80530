// How a sink splits the records of one write into produce requests: in order, each request at most about
// `maxRequestBytes` of uncompressed record bytes. Shared by the sink and the transactional sink, so both
// split alike.
import type { RecordToWrite } from './port.js';

/** Uncompressed bytes per produce request; well below Kafka's default max.message.bytes (1 MiB). */
export const DEFAULT_MAX_REQUEST_BYTES = 512 * 1024;
/** Bytes a record adds to a batch besides its key, value and header contents (lengths, deltas, attributes). */
const RECORD_OVERHEAD_BYTES = 24;

function estimatedSize(record: RecordToWrite): number {
  let size = RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const header of record.headers) {
    size += Buffer.byteLength(header.key, 'utf8') + (header.value?.length ?? 0) + 10;
  }
  return size;
}

/** Splits records, in order, into runs of at most `maxBytes`; a record larger than that goes alone. */
export function chunksOfAtMost(records: readonly RecordToWrite[], maxBytes: number): RecordToWrite[][] {
  const chunks: RecordToWrite[][] = [];
  let current: RecordToWrite[] = [];
  let currentBytes = 0;
  for (const record of records) {
    const size = estimatedSize(record);
    if (current.length > 0 && currentBytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(record);
    currentBytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
