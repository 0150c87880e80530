// How a sink splits the records of one write into produce requests: in order, each request at most about
// `maxRequestBytes` of uncompressed record bytes, and of one codec. An origin batch written whole, unchanged
// and with its own codec goes as a request of its own, to be forwarded as it came (OriginBatch). Shared by the
// sink and the transactional sink, so both split alike. A request the destination refuses as too large (its
// topic's max.message.bytes is below it) goes again in smaller ones (sendSplittingTooLarge).
import { RecordTooLarge } from './errors.js';
import type {
  CompressionCodec,
  CompressionSetting,
  OriginBatch,
  RecordToWrite,
  WrittenRange,
} from './port.js';

/** Uncompressed bytes per produce request; well below Kafka's default max.message.bytes (1 MiB). */
export const DEFAULT_MAX_REQUEST_BYTES = 512 * 1024;
/**
 * By default an origin batch is forwarded only when it holds at least this share of a request (by uncompressed
 * bytes). A produce request carries one batch per partition, so forwarding the small batches of a producer with
 * Kafka's defaults (16 KiB batch.size) would send several requests where encoding sends one: for a sink whose
 * requests of a partition go one after another, the round trips cost more throughput than compressing again
 * costs CPU (a sink that sends several at a time asks for less: ForwardingLimits).
 */
export const MIN_FORWARDED_SHARE_OF_REQUEST = 1 / 4;
/** Bytes a record adds to a batch besides its key, value and header contents (lengths, deltas, attributes). */
const RECORD_OVERHEAD_BYTES = 24;

function estimatedSize(record: RecordToWrite): number {
  let size = RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const header of record.headers) {
    size += Buffer.byteLength(header.key, 'utf8') + (header.value?.length ?? 0) + 10;
  }
  return size;
}

/**
 * Splits records, in order, into runs of at most `maxBytes`; a record larger than that goes alone. With
 * `keepOriginBatches`, an origin batch whose records are all there, as read, is never cut (one larger than
 * `maxBytes` goes alone), so that a sink can still forward it: for callers that write the runs one by one.
 */
export function chunksOfAtMost<R extends RecordToWrite>(
  records: readonly R[],
  maxBytes: number,
  keepOriginBatches = false,
): R[][] {
  const chunks: R[][] = [];
  let current: R[] = [];
  let currentBytes = 0;
  let at = 0;
  while (at < records.length) {
    // What may not be cut: one record, or a whole origin batch.
    const batch = keepOriginBatches ? wholeOriginBatchAt(records, at) : undefined;
    const end = at + (batch?.records.length ?? 1);
    let size = 0;
    for (let index = at; index < end; index++) size += estimatedSize(records[index]!);
    if (current.length > 0 && currentBytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    for (let index = at; index < end; index++) current.push(records[index]!);
    currentBytes += size;
    at = end;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The origin batch that starts at `records[at]` if the records from there are all of it, as read from it. */
function wholeOriginBatchAt(records: readonly RecordToWrite[], at: number): OriginBatch | undefined {
  const batch = records[at]!.originBatch;
  if (batch === undefined || at + batch.records.length > records.length) return undefined;
  for (let index = 0; index < batch.records.length; index++) {
    if (records[at + index] !== batch.records[index]) return undefined;
  }
  return batch;
}

/** Records of one produce request and the codec of their batch. */
export interface WriteChunk {
  readonly records: RecordToWrite[];
  readonly codec: CompressionCodec;
  /** The origin batch these records are, all of it: sent as it came instead of encoded again. */
  readonly forward?: OriginBatch;
}

/** Which origin batches a sink forwards as they came, besides those unchanged and of the codec asked for. */
export interface ForwardingLimits {
  /** The largest forwarded, as received (RequestSizes.forwardedAtMost); by default any. */
  readonly maxForwardedBytes?: number;
  /** The smallest forwarded, as a share of a request's uncompressed bytes: MIN_FORWARDED_SHARE_OF_REQUEST by default. */
  readonly minForwardedShare?: number;
}

/**
 * Splits the records of a write into requests. Each origin batch among them that can be forwarded (written
 * whole, in order, as the very records read from it, `compression` is `origin` or its codec, and within
 * `limits`) is a chunk of its own; the records between are split by encodedChunks.
 */
export function writeChunks(
  records: readonly RecordToWrite[],
  maxBytes: number,
  compression: CompressionSetting,
  limits: ForwardingLimits = {},
): WriteChunk[] {
  const chunks: WriteChunk[] = [];
  let encodedFrom = 0;
  let at = 0;
  while (at < records.length) {
    const batch = forwardableAt(records, at, maxBytes, compression, limits);
    if (batch === undefined) {
      at++;
      continue;
    }
    chunks.push(...encodedChunks(records.slice(encodedFrom, at), maxBytes, compression));
    const end = at + batch.records.length;
    chunks.push({ records: records.slice(at, end), codec: batch.codec, forward: batch });
    at = end;
    encodedFrom = end;
  }
  chunks.push(...encodedChunks(records.slice(encodedFrom), maxBytes, compression));
  return chunks;
}

/**
 * The origin batch that starts at `records[at]` if the records from there are all of it, unchanged, of the
 * codec the write asks for, and within `limits`.
 */
function forwardableAt(
  records: readonly RecordToWrite[],
  at: number,
  maxBytes: number,
  compression: CompressionSetting,
  limits: ForwardingLimits,
): OriginBatch | undefined {
  const batch = wholeOriginBatchAt(records, at);
  if (batch === undefined || (compression !== 'origin' && compression !== batch.codec)) return undefined;
  if (batch.received.length > (limits.maxForwardedBytes ?? Number.POSITIVE_INFINITY)) return undefined;
  const bytes = batch.records.reduce((sum, record) => sum + estimatedSize(record), 0);
  const minShare = limits.minForwardedShare ?? MIN_FORWARDED_SHARE_OF_REQUEST;
  return bytes >= maxBytes * minShare ? batch : undefined;
}

/**
 * Splits records into requests to encode: with a codec, every chunk has it; with `origin`, consecutive records
 * of the same origin codec share chunks and a change of codec starts a new one, so that each record leaves
 * with the codec its origin batch had.
 */
export function encodedChunks(
  records: readonly RecordToWrite[],
  maxBytes: number,
  compression: CompressionSetting,
): WriteChunk[] {
  if (compression !== 'origin') {
    return chunksOfAtMost(records, maxBytes).map((chunk) => ({ records: chunk, codec: compression }));
  }
  const chunks: WriteChunk[] = [];
  let start = 0;
  while (start < records.length) {
    const codec = records[start]!.compression ?? 'none';
    let end = start + 1;
    while (end < records.length && (records[end]!.compression ?? 'none') === codec) end++;
    for (const chunk of chunksOfAtMost(records.slice(start, end), maxBytes)) {
      chunks.push({ records: chunk, codec });
    }
    start = end;
  }
  return chunks;
}

/**
 * How long a topic keeps to the sizes learnt from a refusal: then the default is tried again, so that a
 * max.message.bytes raised since is used (at the cost of one refusal every so often while it was not).
 */
const LEARNT_SIZE_KEPT_MS = 10 * 60_000;

interface LearntSize {
  readonly bytes: number;
  readonly learntAtMs: number;
}

/**
 * The request size (uncompressed record bytes) for each destination topic: the default, or less once refused;
 * and the largest origin batch (as received) still forwarded to it: any, until one was refused.
 */
export class RequestSizes {
  readonly #byTopic = new Map<string, LearntSize>();
  readonly #forwardedByTopic = new Map<string, LearntSize>();

  constructor(
    private readonly defaultBytes: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  of(topic: string): number {
    return this.#learnt(this.#byTopic, topic) ?? this.defaultBytes;
  }

  /** The largest origin batch forwarded to `topic` as it came; larger ones are encoded in requests of of(topic). */
  forwardedAtMost(topic: string): number {
    return this.#learnt(this.#forwardedByTopic, topic) ?? Number.POSITIVE_INFINITY;
  }

  /** An origin batch of `receivedBytes` forwarded to `topic` was refused as too large. */
  refusedForwarded(topic: string, receivedBytes: number): void {
    const bytes = Math.min(this.forwardedAtMost(topic), receivedBytes - 1);
    this.#forwardedByTopic.set(topic, { bytes, learntAtMs: this.nowMs() });
  }

  /** `records`, a request of at most of(topic), was refused as too large: later ones take at most half of it. */
  refused(topic: string, records: readonly RecordToWrite[]): number {
    const size = records.reduce((sum, record) => sum + estimatedSize(record), 0);
    const bytes = Math.min(this.of(topic), Math.max(1, Math.floor(size / 2)));
    this.#byTopic.set(topic, { bytes, learntAtMs: this.nowMs() });
    return bytes;
  }

  /** The topic was deleted and created again: its limit may be another. */
  forget(topic: string): void {
    this.#byTopic.delete(topic);
    this.#forwardedByTopic.delete(topic);
  }

  #learnt(learnt: Map<string, LearntSize>, topic: string): number | undefined {
    const size = learnt.get(topic);
    if (size === undefined) return undefined;
    if (this.nowMs() - size.learntAtMs < LEARNT_SIZE_KEPT_MS) return size.bytes;
    learnt.delete(topic);
    return undefined;
  }
}

/**
 * Sends `chunk` with `send`. Refused as too large, its records go again encoded: a forwarded origin batch (larger
 * than a request may be) in requests of sizes.of(topic), any other request in requests of half its size, which
 * the topic's later writes keep to (a destination topic's max.message.bytes below 512 KiB, copied from an origin
 * whose producers write small batches), down to one record, refused for good. The broker refused each request
 * whole, so nothing is written twice.
 */
export async function sendSplittingTooLarge(
  topic: string,
  chunk: WriteChunk,
  compression: CompressionSetting,
  sizes: RequestSizes,
  send: (chunk: WriteChunk) => Promise<WrittenRange>,
): Promise<WrittenRange[]> {
  try {
    return [await send(chunk)];
  } catch (error) {
    const alone = chunk.forward === undefined && chunk.records.length === 1;
    if (!(error instanceof RecordTooLarge) || alone) throw error;
  }
  if (chunk.forward !== undefined) sizes.refusedForwarded(topic, chunk.forward.received.length);
  const maxBytes = chunk.forward === undefined ? sizes.refused(topic, chunk.records) : sizes.of(topic);
  const written: WrittenRange[] = [];
  for (const smaller of encodedChunks(chunk.records, maxBytes, compression)) {
    written.push(...(await sendSplittingTooLarge(topic, smaller, compression, sizes, send)));
  }
  return written;
}
