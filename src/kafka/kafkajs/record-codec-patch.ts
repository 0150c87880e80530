// Stand-ins for kafkajs's record encoder and decoder modules
// (kafkajs/src/protocol/recordBatch/record/v0/{index,decoder}.js), built on our byte-exact v2 record codec.
// load-kafkajs.ts puts them into Node's module cache under those modules' file names before kafkajs loads
// them, so kafkajs's batch, compression, produce and fetch code runs unchanged around them.
//
// What they change, and nothing else:
// - The encoder takes a message's `headers` either as kafkajs's object (as before, now with null values
//   allowed) or as an ordered array of { key, value } — the form georep's sink passes, which keeps order,
//   repeated keys and null values. Unpatched kafkajs throws on such an array, so a missing patch can never
//   silently drop headers.
// - The decoder returns kafkajs's usual record object (its `headers` object included, so other kafkajs users
//   in the process see no difference) plus `orderedHeaders`: the headers exactly as they were on the wire.

import type { RecordHeader } from '../port.js';
import { decodeRecordV2Body, encodeRecordV2, type RecordV2 } from '../record-v2.js';

/** kafkajs's Encoder, as far as the stand-in uses it. */
export interface KafkajsEncoder {
  writeBufferInternal(bytes: Buffer): void;
}
export type KafkajsEncoderClass = new (initialSize?: number) => KafkajsEncoder;

/** kafkajs's Decoder, as far as the stand-in uses it: a buffer holding exactly one record body. */
export interface KafkajsDecoder {
  buffer: Buffer;
  offset: number;
}

type KafkajsHeaderValue = Buffer | string | null | undefined;
export type KafkajsHeaders = Record<string, KafkajsHeaderValue | KafkajsHeaderValue[]>;

/** What kafkajs's produce request passes for each message (the message's own fields plus its deltas). */
export interface KafkajsRecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: KafkajsHeaders | readonly RecordHeader[];
}

/** What kafkajs's batch decoder passes about the batch a record belongs to. */
export interface KafkajsBatchContext {
  firstOffset?: string;
  firstTimestamp?: string;
  magicByte?: number;
  isControlBatch?: boolean;
  timestampType?: number;
  maxTimestamp?: string;
}

/** A decoded record: kafkajs's fields plus `orderedHeaders`. */
export interface PatchedKafkajsRecord {
  magicByte: number | undefined;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | (Buffer | null)[]>;
  orderedHeaders: RecordHeader[];
  isControlRecord: boolean;
  batchContext: KafkajsBatchContext;
}

/** kafkajs's TimestampTypes.LOG_APPEND_TIME. */
const LOG_APPEND_TIME = 1;

export function createRecordEncoder(Encoder: KafkajsEncoderClass) {
  return function encodeRecord(input: KafkajsRecordInput): KafkajsEncoder {
    const bytes = encodeRecordV2(
      recordFromKafkajsMessage(input, input.offsetDelta ?? 0, BigInt(input.timestampDelta ?? 0)),
    );
    const encoder = new Encoder(bytes.length);
    encoder.writeBufferInternal(bytes);
    return encoder;
  };
}

/** The v2 record of a message as kafkajs's producer passes it; also used by produce-request-patch.ts. */
export function recordFromKafkajsMessage(
  { key, value, headers = {} }: KafkajsRecordInput,
  offsetDelta: number,
  timestampDelta: bigint,
): RecordV2 {
  return {
    attributes: 0,
    timestampDelta,
    offsetDelta,
    key: toBytes(key),
    value: toBytes(value),
    headers: isHeaderList(headers) ? checkHeaderList(headers) : headersFromObject(headers),
  };
}

export function decodeRecord(
  decoder: KafkajsDecoder,
  batchContext: KafkajsBatchContext = {},
): PatchedKafkajsRecord {
  const {
    firstOffset = '0',
    firstTimestamp = '0',
    magicByte,
    isControlBatch = false,
    timestampType,
  } = batchContext;
  const record = decodeRecordV2Body(decoder.buffer, decoder.offset);
  decoder.offset = decoder.buffer.length;
  const bases = batchBases(batchContext, firstOffset, firstTimestamp);
  // As in Kafka: under LogAppendTime every record of a batch has the batch's (broker-assigned) max timestamp.
  const timestamp =
    timestampType === LOG_APPEND_TIME && batchContext.maxTimestamp
      ? batchContext.maxTimestamp
      : plus(bases.firstTimestamp, firstTimestamp, record.timestampDelta);
  return {
    magicByte,
    attributes: record.attributes,
    timestamp,
    offset: plus(bases.firstOffset, firstOffset, BigInt(record.offsetDelta)),
    key: record.key,
    value: record.value,
    headers: headersToObject(record.headers),
    orderedHeaders: record.headers as RecordHeader[],
    isControlRecord: isControlBatch,
    batchContext,
  };
}

/** A batch's first offset and timestamp as numbers, or null where a number cannot hold them exactly. */
interface BatchBases {
  readonly firstOffset: number | null;
  readonly firstTimestamp: number | null;
}

/** Parsed once per batch (kafkajs passes the same context to each of its records), not once per record. */
const basesOfBatch = new WeakMap<KafkajsBatchContext, BatchBases>();

function batchBases(context: KafkajsBatchContext, firstOffset: string, firstTimestamp: string): BatchBases {
  let bases = basesOfBatch.get(context);
  if (bases === undefined) {
    bases = { firstOffset: safeNumber(firstOffset), firstTimestamp: safeNumber(firstTimestamp) };
    basesOfBatch.set(context, bases);
  }
  return bases;
}

function safeNumber(decimal: string): number | null {
  const value = Number(decimal);
  return Number.isSafeInteger(value) ? value : null;
}

/** `base + delta` in decimal, exactly: in numbers where they hold it, in BigInt otherwise. */
function plus(base: number | null, baseDecimal: string, delta: bigint): string {
  const deltaNumber = Number(delta); // exact if it is a safe integer; larger ones round to unsafe ones
  if (base !== null && Number.isSafeInteger(deltaNumber)) {
    const sum = base + deltaNumber;
    if (Number.isSafeInteger(sum)) return String(sum);
  }
  return (BigInt(baseDecimal) + delta).toString();
}

function toBytes(data: Buffer | string | null | undefined): Buffer | null {
  if (data === null || data === undefined) return null;
  return Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
}

function isHeaderList(headers: KafkajsHeaders | readonly RecordHeader[]): headers is readonly RecordHeader[] {
  return Array.isArray(headers);
}

function checkHeaderList(headers: readonly RecordHeader[]): readonly RecordHeader[] {
  for (const header of headers) {
    if (!Buffer.isBuffer(header.key) || !(header.value === null || Buffer.isBuffer(header.value))) {
      throw new TypeError('a header must be { key: Buffer, value: Buffer | null }');
    }
  }
  return headers;
}

/** kafkajs's object form: a key's array value is that key repeated; undefined counts as null. */
function headersFromObject(headers: KafkajsHeaders): RecordHeader[] {
  return Object.keys(headers).flatMap((key) => {
    const value = headers[key];
    return Array.isArray(value)
      ? value.map((item) => ({ key: Buffer.from(key, 'utf8'), value: toBytes(item) }))
      : [{ key: Buffer.from(key, 'utf8'), value: toBytes(value) }];
  });
}

/** The object kafkajs users expect: one property per key, an array where a key repeats. */
function headersToObject(headers: readonly RecordHeader[]): PatchedKafkajsRecord['headers'] {
  const object: PatchedKafkajsRecord['headers'] = {};
  for (const header of headers) {
    const key = header.key.toString('utf8');
    const value = header.value;
    const existing = Object.hasOwn(object, key) ? object[key] : undefined;
    const merged =
      existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    // defineProperty, so that a header named __proto__ is a property like any other
    Object.defineProperty(object, key, {
      value: merged,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return object;
}
