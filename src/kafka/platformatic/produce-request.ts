// The Produce request georep sends: one record batch (already encoded, record-batch.ts) for one partition, at
// the first flexible version, written by hand so that the batch bytes are appended as they are.
//
// Produce Request (Version: 9, the first flexible one; Kafka >= 2.8) =>
//   transactional_id COMPACT_NULLABLE_STRING, acks INT16, timeout_ms INT32,
//   topic_data COMPACT_ARRAY[name COMPACT_STRING, partition_data COMPACT_ARRAY[index INT32,
//   records COMPACT_RECORDS, TAG_BUFFER], TAG_BUFFER], TAG_BUFFER
import { Writer } from '@platformatic/kafka';
import type { ProduceTarget } from './produce-client.js';

export const PRODUCE_API_KEY = 0;
export const PRODUCE_VERSION = 9;
const ACKS_ALL = -1;

/** The payload of a Produce v9 request carrying one batch for one partition. */
export function produceRequestV9(target: ProduceTarget, batch: Buffer, timeoutMs: number): Writer {
  const topicBytes = Buffer.from(target.topic, 'utf8');
  const transactionalIdBytes =
    target.transactionalId === null ? null : Buffer.from(target.transactionalId, 'utf8');
  const head = Buffer.allocUnsafe(
    5 + (transactionalIdBytes?.length ?? 0) + 2 + 4 + 1 + 5 + topicBytes.length + 1 + 4 + 5,
  );
  let at = writeUnsignedVarint(head, 0, transactionalIdBytes === null ? 0 : transactionalIdBytes.length + 1);
  if (transactionalIdBytes !== null) at += transactionalIdBytes.copy(head, at);
  at = head.writeInt16BE(ACKS_ALL, at);
  at = head.writeInt32BE(timeoutMs, at);
  at = writeUnsignedVarint(head, at, 2); // one topic
  at = writeUnsignedVarint(head, at, topicBytes.length + 1);
  at += topicBytes.copy(head, at);
  at = writeUnsignedVarint(head, at, 2); // one partition
  at = head.writeInt32BE(target.partition, at);
  at = writeUnsignedVarint(head, at, batch.length + 1);
  // After the batch: the tagged fields (none) of the partition, the topic and the request.
  const tail = Buffer.from([0, 0, 0]);
  return Writer.create().append(head.subarray(0, at)).append(batch).append(tail);
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
