// Writing records with @platformatic/kafka's own Producer, for tests, benchmarks and the demo (see
// kafka-client.ts). Gaps of the library (2.12.1) worked around here, each where it is handled: headers are a
// Map (repeats need distinct key objects, null values a cast); its default partitioner for keys is not Java's
// (murmur2 >>> 0, not & 0x7fffffff); an explicit partition beyond the topic's is wrapped around; a timestamp
// 2^31 ms or more below its batch's first one is encoded wrong.
//
//   const writer = recordWriter(bootstrap);
//   await writer.send('orders', [{ key: 'k', value: 'v', headers: [['h', 'a'], ['h', null]], partition: 2 }]);
//   await writer.close();
import {
  type CompressionAlgorithmValue,
  compatibilityPartitioner,
  type MessageToProduce,
  type Partitioner,
  Producer,
} from '@platformatic/kafka';
import { type Brokers, DEFAULT_CLIENT_ID, toolClientOptions } from './kafka-client.js';

export type Bytes = string | Buffer;

export interface RecordToWrite {
  /** Omitted or null: a record without a key. */
  readonly key?: Bytes | null;
  /** null: a tombstone (no value at all), unlike an empty value. */
  readonly value: Bytes | null;
  /** In order; a name may repeat and a value may be null. */
  readonly headers?: readonly (readonly [Bytes, Bytes | null])[];
  /** CreateTime in ms since the epoch; default now. */
  readonly timestampMs?: number | bigint;
  /** Default: by the key as Java's producer does, records without a key round-robin. */
  readonly partition?: number;
}

export interface RecordWriterOptions {
  readonly clientId?: string;
  /** Default true: a retried send never writes a batch twice. */
  readonly idempotent?: boolean;
  readonly compression?: CompressionAlgorithmValue;
  /** Makes sendInTransaction available. */
  readonly transactionalId?: string;
}

export interface RecordWriter {
  /** Writes the records to `topic`, acknowledged by all in-sync replicas. */
  send(topic: string, records: readonly RecordToWrite[]): Promise<void>;
  /** Writes the records in one transaction, then commits or aborts it. */
  sendInTransaction(topic: string, records: readonly RecordToWrite[], end: 'commit' | 'abort'): Promise<void>;
  /** Writes the records in a transaction it leaves open (a reader's last stable offset stays before them). */
  openTransaction(topic: string, records: readonly RecordToWrite[]): Promise<OpenTransaction>;
  close(): Promise<void>;
}

export interface OpenTransaction {
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export function recordWriter(brokers: Brokers, options: RecordWriterOptions = {}): RecordWriter {
  const producer = new Producer({
    ...toolClientOptions(brokers, options.clientId ?? DEFAULT_CLIENT_ID),
    idempotent: options.idempotent ?? true,
    acks: -1,
    compression: options.compression ?? 'none',
    partitioner: javaPartitioner(),
    ...(options.transactionalId === undefined ? {} : { transactionalId: options.transactionalId }),
  });
  /** Messages in requests one after the other, which keeps the order of the records in every partition. */
  const requestsOf = async (topic: string, records: readonly RecordToWrite[]) => {
    await refuseMissingPartitions(producer, topic, records);
    return timestampRuns(records).map((run) => run.map((record) => toMessage(topic, record)));
  };
  const openTransaction = async (topic: string, records: readonly RecordToWrite[]) => {
    const requests = await requestsOf(topic, records);
    const transaction = await producer.beginTransaction();
    try {
      for (const messages of requests) await transaction.send({ messages, acks: -1 });
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
    return { commit: () => transaction.commit(), abort: () => transaction.abort() };
  };
  return {
    async send(topic, records) {
      for (const messages of await requestsOf(topic, records)) await producer.send({ messages, acks: -1 });
    },
    async sendInTransaction(topic, records, end) {
      const transaction = await openTransaction(topic, records);
      await (end === 'commit' ? transaction.commit() : transaction.abort());
    },
    openTransaction,
    close: () => producer.close(),
  };
}

/**
 * The records cut into runs whose timestamps never go down. The library encodes a record's timestamp as a
 * delta from its batch's first one, and a delta of -2^31 ms or less comes out wrong
 * (@platformatic/dynamic-buffer's int64ZigZagEncode shifts by 31 bits instead of 63): a record from 1970
 * after one from today would be stored decades in the future (and refused by Kafka 4). Within a run no
 * delta is negative, whatever partition each record goes to.
 */
function timestampRuns(records: readonly RecordToWrite[]): RecordToWrite[][] {
  const nowMs = BigInt(Date.now());
  const runs: RecordToWrite[][] = [];
  let lastMs: bigint | null = null;
  for (const record of records) {
    const timestampMs = record.timestampMs === undefined ? nowMs : BigInt(record.timestampMs);
    const run = runs.at(-1);
    if (run !== undefined && lastMs !== null && timestampMs >= lastMs) run.push(record);
    else runs.push([record]);
    lastMs = timestampMs;
  }
  return runs;
}

/** The library wraps a partition number modulo the partition count; a tool must fail instead. */
async function refuseMissingPartitions(
  producer: Producer,
  topic: string,
  records: readonly RecordToWrite[],
): Promise<void> {
  const highest = Math.max(-1, ...records.map((record) => record.partition ?? -1));
  if (highest < 0) return;
  const metadata = await producer.metadata({ topics: [topic] });
  const partitionCount = metadata.topics.get(topic)?.partitionsCount ?? 0;
  if (highest >= partitionCount)
    throw new Error(`${topic} has ${partitionCount} partitions: no partition ${highest} to write to`);
}

/**
 * Java's default for keys (positive murmur2 modulo the partition count, applied by the library; the library's
 * own default hashes differently) and a round-robin over partitions for records without a key (which the
 * library does only when no partitioner is given).
 */
function javaPartitioner(): Partitioner<Buffer, Buffer, Buffer, Buffer> {
  const nextByTopic = new Map<string, number>();
  return (message, key) => {
    if (key !== undefined) return compatibilityPartitioner(message, key);
    const next = nextByTopic.get(message.topic) ?? 0;
    nextByTopic.set(message.topic, next + 1);
    return next;
  };
}

function bytes(value: Bytes): Buffer {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/**
 * The library takes headers as a Map: a repeated name is kept only as a distinct Buffer object (each header
 * gets its own copy here), and a null value needs a cast (its encoder writes null as length -1).
 */
function toMessage(topic: string, record: RecordToWrite): MessageToProduce {
  const headers = new Map<Buffer, Buffer>();
  for (const [name, value] of record.headers ?? [])
    headers.set(Buffer.from(bytes(name)), value === null ? (null as unknown as Buffer) : bytes(value));
  return {
    topic,
    ...(record.key === undefined || record.key === null ? {} : { key: bytes(record.key) }),
    value: record.value === null ? (null as unknown as Buffer) : bytes(record.value),
    headers,
    ...(record.partition === undefined ? {} : { partition: record.partition }),
    ...(record.timestampMs === undefined ? {} : { timestamp: BigInt(record.timestampMs) }),
  };
}
