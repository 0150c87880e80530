// One Fetch request as georep sends it (sendFetch), and a Fetch response parser (versions 13 to 17, the ones that name topics by id) that keeps each record batch's
// bytes as they came from the broker beside the library's decoding of it, so that a sink can forward a batch
// whose records it would write unchanged without compressing them again (forwardRecordBatch in record-batch.ts).
//
// The library's own parsers decode the batches and drop the bytes: the compressed payload is gone by the time
// the response is handed on. This one reads the response as the library's fetch-v17 parser does (the layout is
// the same from v13 to v17: v16 only adds a tagged field, node_endpoints, that georep does not use), and
// decodes each batch as the library's readRecordsBatch does (received-batches.ts), noting where in the response
// the batch lay.
//
// Unlike the library's parsers it never throws for an error code in the answer: the fetcher reads the top-level
// and the partitions' error codes itself.
import {
  type API,
  type Connection,
  createAPI,
  FetchIsolationLevels,
  type fetchV17,
  Reader,
  type RecordsBatch,
  readKnownTaggedFields,
} from '@platformatic/kafka';
import type { SessionRequest } from './fetch-session.js';
import { type DecodedBatch, decodeBatch, fromLibraryBatch } from './received-batches.js';
import { BATCH_HEADER_BYTES } from './record-batch.js';

/**
 * A batch decoded, with its bytes as received: BaseOffset to the end of its records (absent where the library's
 * own parser read the response).
 */
export interface ReceivedBatch extends DecodedBatch {
  readonly received?: Buffer;
}

/**
 * A partition of the answer: batches this parser decoded, or, from brokers before Kafka 3.1, batches the
 * library's own parser decoded (receivedBatches turns them into ReceivedBatch).
 */
type FetchResponsePartition = Omit<fetchV17.FetchResponsePartition, 'records'> & {
  records: ReceivedBatch[] | RecordsBatch[] | null;
  /** Why the batch after `records` could not be read: that partition's read stops there, no other's. */
  unreadable?: Error;
};

export interface FetchResponse extends Omit<fetchV17.FetchResponse, 'responses'> {
  responses: { topicId: string; partitions: FetchResponsePartition[] }[];
}

export type FetchApi = API<
  [
    maxWaitMs: number,
    minBytes: number,
    maxBytes: number,
    isolationLevel: number,
    sessionId: number,
    sessionEpoch: number,
    topics: fetchV17.FetchRequestTopic[],
    forgottenTopicsData: fetchV17.FetchRequestForgottenTopicsData[],
    rackId: string,
  ],
  FetchResponse
>;

const FETCH_API_KEY = 1;
/** BaseOffset (int64) and Length (int32): what precedes the part of a batch its Length counts. */
const BATCH_LOG_OVERHEAD_BYTES = 12;

/**
 * The library's Fetch API of `version` (13-17) with this parser instead of its own. Other versions keep the
 * library's parser, and their batches are always encoded again.
 */
export type FetchRequestWriter = typeof fetchV17.createRequest;

export function fetchApiKeepingBatches(version: number, createRequest: FetchRequestWriter): FetchApi {
  return createAPI(FETCH_API_KEY, version, createRequest as never, parseFetchResponse) as FetchApi;
}

export function parseFetchResponse(
  _correlationId: number,
  _apiKey: number,
  _apiVersion: number,
  reader: Reader,
): FetchResponse {
  const throttleTimeMs = reader.readInt32();
  const errorCode = reader.readInt16();
  const sessionId = reader.readInt32();
  const responses = reader.readArray((topic) => ({
    topicId: topic.readUUID(),
    partitions: topic.readArray((r) => readPartition(r), true, false),
  }));
  readKnownTaggedFields(reader, {});
  return { throttleTimeMs, errorCode, sessionId, responses };
}

function readPartition(r: Reader): FetchResponsePartition {
  const partition: FetchResponsePartition = {
    partitionIndex: r.readInt32(),
    errorCode: r.readInt16(),
    highWatermark: r.readInt64(),
    lastStableOffset: r.readInt64(),
    logStartOffset: r.readInt64(),
    abortedTransactions: r.readNullableArray((entry) => ({
      producerId: entry.readInt64(),
      firstOffset: entry.readInt64(),
    })),
    preferredReadReplica: r.readInt32(),
    records: null,
  };
  // COMPACT_RECORDS: the size plus one; 0 is null.
  const sizePlusOne = r.readUnsignedVarInt();
  if (sizePlusOne > 1) {
    const size = sizePlusOne - 1;
    const read = readBatches(Reader.from(r.buffer.slice(r.position, r.position + size)));
    partition.records = read.batches;
    if (read.unreadable !== undefined) partition.unreadable = read.unreadable;
    r.skip(size);
  }
  readKnownTaggedFields(r, {});
  return partition;
}

/**
 * A partition's batches as ReceivedBatch, whichever parser read them (the library's types its records as
 * optional too).
 */
export function receivedBatches(
  batches: ReceivedBatch[] | RecordsBatch[] | null | undefined,
): readonly ReceivedBatch[] {
  if (batches === null || batches === undefined) return [];
  return batches.map((batch) => (isLibraryBatch(batch) ? fromLibraryBatch(batch) : batch));
}

/** This parser keeps every batch's bytes; the library's does not. */
function isLibraryBatch(batch: ReceivedBatch | RecordsBatch): batch is RecordsBatch {
  return !('received' in batch);
}

/**
 * Every whole batch; a batch cut off by the fetch's size limit at the end is left out, as Kafka's clients do.
 * Each batch is copied out of the response and decoded from its copy: the records' keys, values and headers are
 * views into what they were decoded from, and views into the response would keep all of it in memory for as
 * long as any one of its records is held, while the fetch loop counts each partition's batches apart (and
 * releases them apart).
 */
export function readBatches(reader: Reader): { batches: ReceivedBatch[]; unreadable?: Error } {
  const batches: ReceivedBatch[] = [];
  while (reader.remaining >= BATCH_LOG_OVERHEAD_BYTES) {
    const sizeBytes = BATCH_LOG_OVERHEAD_BYTES + reader.peekInt32(reader.position + 8);
    if (sizeBytes < BATCH_HEADER_BYTES) {
      const offset = reader.peekInt64(reader.position);
      return {
        batches,
        unreadable: new Error(`the record batch at offset ${offset} says it has ${sizeBytes} bytes`),
      };
    }
    if (reader.remaining < sizeBytes) break;
    const received = ownCopy(reader.buffer.slice(reader.position, reader.position + sizeBytes));
    reader.skip(sizeBytes);
    try {
      batches.push(Object.assign(decodeBatch(received), { received }));
    } catch (error) {
      // The batches before it are handed on; the partition's next fetch starts at this one.
      return { batches, unreadable: error instanceof Error ? error : new Error(String(error)) };
    }
  }
  return { batches };
}

/**
 * `bytes` in a buffer of its own: the response's buffer slices a batch that spans two of the socket's chunks into a
 * new buffer already, and one within a chunk as a view, which is copied.
 */
function ownCopy(bytes: Buffer): Buffer {
  return bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length ? bytes : Buffer.from(bytes);
}

const NO_LEADER_EPOCH = -1;

/**
 * One Fetch request for a session's partitions (fetch-session.ts), read_committed. A partition's error fails the
 * library's parse, but the response still comes with it: that response is the answer.
 */
export function sendFetch(
  api: FetchApi,
  connection: Connection,
  request: SessionRequest,
  limits: { readonly maxWaitMs: number; readonly maxBytes: number },
): Promise<FetchResponse> {
  const topics = new Map<string, fetchV17.FetchRequestTopic>();
  for (const { topicKey, partition, offset, maxBytes: partitionMaxBytes } of request.partitions) {
    let topic = topics.get(topicKey);
    if (topic === undefined) {
      topic = { topicId: topicKey, partitions: [] };
      topics.set(topicKey, topic);
    }
    topic.partitions.push({
      partition,
      currentLeaderEpoch: NO_LEADER_EPOCH,
      fetchOffset: offset,
      lastFetchedEpoch: NO_LEADER_EPOCH,
      partitionMaxBytes,
    });
  }
  const forgotten = [...request.forget].map(([topicId, partitions]) => ({
    topicId,
    partitions: [...partitions],
  }));
  return new Promise<FetchResponse>((resolve, reject) => {
    api(
      connection,
      limits.maxWaitMs,
      1,
      limits.maxBytes,
      FetchIsolationLevels.READ_COMMITTED,
      request.sessionId,
      request.epoch,
      [...topics.values()],
      forgotten,
      '',
      (error, result) => {
        const partial = (error as { response?: FetchResponse } | null)?.response;
        if (result !== undefined) resolve(result);
        else if (partial !== undefined) resolve(partial);
        else reject(error ?? new Error('fetch returned no response'));
      },
    );
  });
}
