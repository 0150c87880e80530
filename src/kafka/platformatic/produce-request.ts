// The Produce request georep sends: record batches (already encoded, record-batch.ts) for one or more
// partitions, at the first flexible version, written by hand so that the batch bytes are appended as they are;
// and what its answer says of each partition.
//
// Produce Request (Version: 9, the first flexible one; Kafka >= 2.8) =>
//   transactional_id COMPACT_NULLABLE_STRING, acks INT16, timeout_ms INT32,
//   topic_data COMPACT_ARRAY[name COMPACT_STRING, partition_data COMPACT_ARRAY[index INT32,
//   records COMPACT_RECORDS, TAG_BUFFER], TAG_BUFFER], TAG_BUFFER
import { ResponseError, Writer } from '@platformatic/kafka';

export const PRODUCE_API_KEY = 0;
export const PRODUCE_VERSION = 9;
const ACKS_ALL = -1;

/** One partition's batch in a request. */
export interface ProduceEntry {
  readonly topic: string;
  readonly partition: number;
  readonly batch: Buffer;
}

/**
 * The payload of a Produce v9 request carrying `entries` (at most one per partition), grouped by topic in the
 * order each topic first appears. All of them are written under one transactional id (null: idempotent).
 */
export function produceRequestV9(
  transactionalId: string | null,
  entries: readonly ProduceEntry[],
  timeoutMs: number,
): Writer {
  const byTopic = new Map<string, ProduceEntry[]>();
  for (const entry of entries) {
    const ofTopic = byTopic.get(entry.topic);
    if (ofTopic === undefined) byTopic.set(entry.topic, [entry]);
    else ofTopic.push(entry);
  }
  const transactionalIdBytes = transactionalId === null ? null : Buffer.from(transactionalId, 'utf8');
  const head = Buffer.allocUnsafe(5 + (transactionalIdBytes?.length ?? 0) + 2 + 4 + 5);
  let at = writeUnsignedVarint(head, 0, transactionalIdBytes === null ? 0 : transactionalIdBytes.length + 1);
  if (transactionalIdBytes !== null) at += transactionalIdBytes.copy(head, at);
  at = head.writeInt16BE(ACKS_ALL, at);
  at = head.writeInt32BE(timeoutMs, at);
  at = writeUnsignedVarint(head, at, byTopic.size + 1);
  const writer = Writer.create().append(head.subarray(0, at));
  for (const [topic, ofTopic] of byTopic) {
    const topicBytes = Buffer.from(topic, 'utf8');
    const topicHead = Buffer.allocUnsafe(5 + topicBytes.length + 5);
    let topicAt = writeUnsignedVarint(topicHead, 0, topicBytes.length + 1);
    topicAt += topicBytes.copy(topicHead, topicAt);
    topicAt = writeUnsignedVarint(topicHead, topicAt, ofTopic.length + 1);
    writer.append(topicHead.subarray(0, topicAt));
    for (const [index, { partition, batch }] of ofTopic.entries()) {
      // Before each partition but the first: the tagged fields (none) of the partition before it.
      const partitionHead = Buffer.allocUnsafe(1 + 4 + 5);
      let partitionAt = index === 0 ? 0 : partitionHead.writeUInt8(0, 0);
      partitionAt = partitionHead.writeInt32BE(partition, partitionAt);
      partitionAt = writeUnsignedVarint(partitionHead, partitionAt, batch.length + 1);
      writer.append(partitionHead.subarray(0, partitionAt)).append(batch);
    }
    // The tagged fields (none) of the last partition and of the topic.
    writer.append(Buffer.from([0, 0]));
  }
  // …and of the request.
  return writer.append(Buffer.from([0]));
}

/** A Produce v9 answer, as the library parses it. */
export interface ProduceResponse {
  readonly responses: readonly {
    readonly name: string;
    readonly partitionResponses: readonly {
      readonly index: number;
      readonly errorCode: number;
      readonly baseOffset: bigint;
      readonly errorMessage: string | null;
      readonly recordErrors: readonly {
        readonly batchIndex: number;
        readonly batchIndexErrorMessage: string | null;
      }[];
    }[];
  }[];
  readonly throttleTimeMs: number;
}

/**
 * What `response` says of one partition: the offset of its batch's first record, Kafka's error for it alone
 * (shaped as the library reports an answer with errors, so that map-error.ts reads it the same), or missing.
 */
export function partitionAnswer(
  response: ProduceResponse,
  topic: string,
  partition: number,
): { readonly baseOffset: bigint } | { readonly error: ResponseError } | 'missing' {
  const topicIndex = response.responses.findIndex((entry) => entry.name === topic);
  const partitionResponses = response.responses[topicIndex]?.partitionResponses ?? [];
  const partitionIndex = partitionResponses.findIndex((entry) => entry.index === partition);
  const answer = partitionResponses[partitionIndex];
  if (answer === undefined) return 'missing';
  if (answer.errorCode === 0) return { baseOffset: answer.baseOffset };
  const path = `/responses/${topicIndex}/partition_responses/${partitionIndex}`;
  // In the library's order: the records' errors, then the partition's.
  const errors: Record<string, [number, string | null]> = {};
  for (const [index, recordError] of answer.recordErrors.entries()) {
    if (recordError.batchIndexErrorMessage)
      errors[`${path}/record_errors/${index}`] = [-1, recordError.batchIndexErrorMessage];
  }
  errors[path] = [answer.errorCode, answer.errorMessage];
  return { error: new ResponseError(PRODUCE_API_KEY, PRODUCE_VERSION, errors, response) };
}

function writeUnsignedVarint(out: Buffer, position: number, value: number): number {
  let rest = value;
  let at = position;
  while (rest >= 0x80) {
    out[at++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 128);
  }
  out[at++] = rest;
  return at;
}
