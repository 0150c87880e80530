// Plain Kafka clients for the project's tools: tests writing and reading records, the benchmarks' load and
// watches, the demo's traffic and reader, the harness's readiness probe. They are @platformatic/kafka's own
// Producer, Consumer and Admin, never georep's port or adapters, so that what a tool writes or sees does not
// depend on the code under test.
//
//   await withAdmin(bootstrap, (admin) => createTopics(admin, [{ topic: 'orders', partitions: 3 }]));
//   const writer = recordWriter(bootstrap);
//   await writer.send('orders', [{ key: 'k', value: 'v', headers: [['h', 'a'], ['h', null]], partition: 2 }]);
//   await readTopicToEnd({ brokers: bootstrap, topic: 'orders', onRecord: (record) => … });
//
// Gaps of the library (2.12.1) that the writer works around (see each function): headers are a Map (repeats
// need distinct key objects, null values a cast); records without a key all go to partition 0; an explicit
// partition beyond the topic's is wrapped around; a timestamp 2^31 ms or more below its batch's first one is
// encoded wrong. test/integration/kafka-client.test.ts checks what the writer and the reader do against
// Kafka's Java client.
//
// Gaps that this module does not correct, so checks that depend on them use Kafka's own Java tools instead
// (test/integration/support/java-records.ts):
// - read_committed lets aborted records through when one producer has two aborted transactions in a fetch, or
//   when the abort marker lies beyond the end of a fetch: a reader here does not prove what an exactly-once
//   copy holds;
// - a record read here carries first-timestamp + delta and no timestamp type: on a LogAppendTime topic its
//   timestamp is not the one Kafka serves.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Admin,
  type BaseOptions,
  type CompressionAlgorithmValue,
  Consumer,
  compatibilityPartitioner,
  FetchIsolationLevels,
  type FetchIsolationLevelValue,
  ListOffsetTimestamps,
  type Message,
  type MessagesStream,
  type MessageToProduce,
  type Partitioner,
  Producer,
} from '@platformatic/kafka';

/** One bootstrap address (`host:port`) or several. */
export type Brokers = string | readonly string[];
export type Isolation = 'read_committed' | 'read_uncommitted';
export type Bytes = string | Buffer;

const DEFAULT_CLIENT_ID = 'georep-tool';
const LEADERS_TIMEOUT_MS = 60_000;
const LEADERS_POLL_MS = 200;

/**
 * Options every tool client shares: patient timeouts and a few retries, because a tool's request failing on
 * a busy machine says nothing about georep.
 */
export function toolClientOptions(brokers: Brokers, clientId = DEFAULT_CLIENT_ID): BaseOptions {
  return {
    clientId,
    bootstrapBrokers: typeof brokers === 'string' ? [brokers] : [...brokers],
    connectTimeout: 10_000,
    timeout: 30_000,
    retries: 5,
    retryDelay: 500,
  };
}

// --- Admin -------------------------------------------------------------------------------------------------

export function toolAdmin(brokers: Brokers, clientId = DEFAULT_CLIENT_ID): Admin {
  return new Admin(toolClientOptions(brokers, clientId));
}

/** Runs `use` with a new admin client and closes it afterwards. */
export async function withAdmin<T>(brokers: Brokers, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = toolAdmin(brokers);
  try {
    return await use(admin);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

export interface TopicToCreate {
  readonly topic: string;
  readonly partitions: number;
  /** Topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  readonly configs?: Readonly<Record<string, string>>;
}

/** Creates the topics (replication factor 1) and waits until every partition has a leader. */
export async function createTopics(admin: Admin, topics: readonly TopicToCreate[]): Promise<void> {
  // The library's request gives all its topics one partition count and one set of configs: one request for
  // each distinct pair.
  const requests = new Map<string, TopicToCreate[]>();
  for (const topic of topics) {
    const key = JSON.stringify([topic.partitions, Object.entries(topic.configs ?? {}).sort()]);
    requests.set(key, [...(requests.get(key) ?? []), topic]);
  }
  for (const group of requests.values()) {
    const { partitions, configs } = group[0]!;
    await admin.createTopics({
      topics: group.map(({ topic }) => topic),
      partitions,
      replicas: 1,
      configs: Object.entries(configs ?? {}).map(([name, value]) => ({ name, value })),
    });
  }
  await waitForLeaders(
    admin,
    topics.map(({ topic }) => topic),
  );
}

/** Waits until every partition of the topics has a leader: a write right after creating may fail before. */
export async function waitForLeaders(
  admin: Admin,
  topics: readonly string[],
  timeoutMs = LEADERS_TIMEOUT_MS,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const metadata = await admin.metadata({ topics: [...topics], forceUpdate: true });
      const led = topics.every((topic) =>
        (metadata.topics.get(topic)?.partitions ?? []).every((partition) => partition.leader >= 0),
      );
      if (led) return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
    }
    if (performance.now() > deadline)
      throw new Error(`topics without a leader after ${timeoutMs} ms: ${topics.slice(0, 3).join(', ')}…`);
    await sleep(LEADERS_POLL_MS);
  }
}

/**
 * Next offset of every partition, by partition number: the high watermark, or with read_committed the last
 * stable offset (where a read_committed reader stops while a transaction is open). Rejects when the topic
 * does not exist.
 */
export async function endOffsets(
  admin: Admin,
  topic: string,
  isolation: Isolation = 'read_uncommitted',
): Promise<Map<number, bigint>> {
  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
  const partitionCount = metadata.topics.get(topic)?.partitionsCount ?? 0;
  const [listed] = await admin.listOffsets({
    isolationLevel: isolationLevel(isolation),
    topics: [
      {
        name: topic,
        partitions: Array.from({ length: partitionCount }, (_, partitionIndex) => ({
          partitionIndex,
          timestamp: ListOffsetTimestamps.LATEST,
        })),
      },
    ],
  });
  return new Map(
    (listed?.partitions ?? []).map(({ partitionIndex, offset }) => [partitionIndex, offset] as const),
  );
}

export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
}

/** A consumer group's state as the broker names it (`Stable`, `Empty`, `PreparingRebalance`, …) and members. */
export async function describeGroup(
  admin: Admin,
  groupId: string,
): Promise<{ state: string; members: GroupMember[] }> {
  const group = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
  return {
    state: group?.state ?? 'Dead',
    members: [...(group?.members.values() ?? [])].map((member) => ({
      memberId: member.id,
      clientId: member.clientId,
      clientHost: member.clientHost,
    })),
  };
}

// --- Writing -----------------------------------------------------------------------------------------------

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
  close(): Promise<void>;
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
  return {
    async send(topic, records) {
      for (const messages of await requestsOf(topic, records)) await producer.send({ messages, acks: -1 });
    },
    async sendInTransaction(topic, records, end) {
      const requests = await requestsOf(topic, records);
      const transaction = await producer.beginTransaction();
      try {
        for (const messages of requests) await transaction.send({ messages, acks: -1 });
      } catch (error) {
        await transaction.abort().catch(() => undefined);
        throw error;
      }
      await (end === 'commit' ? transaction.commit() : transaction.abort());
    },
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
 * Java's default for keys (positive murmur2 modulo the partition count, applied by the library) and a
 * round-robin over partitions for records without a key (the library's default sends those all to 0).
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

// --- Reading -----------------------------------------------------------------------------------------------

export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** In the order of the record, repeats kept; a null value is null. */
  readonly headers: readonly (readonly [Buffer, Buffer | null])[];
  /** See the file's comment: not the served timestamp on a LogAppendTime topic. */
  readonly timestampMs: bigint;
}

/** Values of the headers named `name`, in order, as text ('null' for a null value). */
export function headerValues(record: ReadRecord, name: string): string[] {
  return record.headers
    .filter(([key]) => key.toString() === name)
    .map(([, value]) => (value === null ? 'null' : value.toString()));
}

export interface ReaderOptions {
  readonly brokers: Brokers;
  readonly topics: readonly string[];
  /** Called for every record, in offset order within a partition. */
  readonly onRecord: (record: ReadRecord) => void;
  readonly onError?: (error: Error) => void;
  /** Default read_uncommitted; see the file's comment about read_committed. */
  readonly isolation?: Isolation;
  /**
   * Where the group starts: earliest or latest offsets, or its committed offsets (earliest where it has
   * none). Default earliest.
   */
  readonly from?: 'earliest' | 'latest' | 'committed';
  /** Default: a new group of its own, so nothing committed elsewhere moves where it starts. */
  readonly groupId?: string;
  readonly clientId?: string;
  /** How long the broker may hold a fetch that has nothing new; bounds how late a record is seen. */
  readonly maxWaitTimeMs?: number;
}

export interface TopicReader {
  readonly groupId: string;
  /** Next offset the reader fetches in a partition; what was fetched below it was handed to onRecord. */
  position(topic: string, partition: number): bigint | undefined;
  /** Commits these next offsets for the group. */
  commit(offsets: readonly { topic: string; partition: number; offset: bigint }[]): Promise<void>;
  close(): Promise<void>;
}

let readersOpened = 0;

/** Joins the group (resolved once it has partitions to read) and hands every record it reads to onRecord. */
export async function openReader(options: ReaderOptions): Promise<TopicReader> {
  readersOpened += 1;
  const groupId = options.groupId ?? `georep-tool-reader-${process.pid}-${Date.now()}-${readersOpened}`;
  const consumer = new Consumer({
    ...toolClientOptions(options.brokers, options.clientId ?? DEFAULT_CLIENT_ID),
    groupId,
    autocommit: false,
    isolationLevel: isolationLevel(options.isolation ?? 'read_uncommitted'),
    maxWaitTime: options.maxWaitTimeMs ?? 200,
    // A fetch is bounded in bytes; the stream's buffer counts messages, so it stays small too.
    maxBytes: 8 * 1024 * 1024,
    maxBytesPerPartition: 4 * 1024 * 1024,
    highWaterMark: 256,
  });
  const from = options.from ?? 'earliest';
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
  try {
    stream = await consumer.consume({
      topics: [...options.topics],
      mode: from,
      ...(from === 'committed' ? { fallbackMode: 'earliest' as const } : {}),
    });
  } catch (error) {
    await consumer.close(true).catch(() => undefined);
    throw error;
  }
  stream.on('data', (message) => options.onRecord(toReadRecord(message)));
  stream.on('error', (error) => options.onError?.(error));
  return {
    groupId,
    position: (topic, partition) => stream.offsetsToFetch.get(`${topic}:${partition}`),
    commit: (offsets) =>
      consumer.commit({ offsets: offsets.map((offset) => ({ ...offset, leaderEpoch: -1 })) }),
    async close() {
      await stream.close().catch(() => undefined);
      await consumer.close(true).catch(() => undefined);
    },
  };
}

function toReadRecord(message: Message<Buffer, Buffer, Buffer, Buffer>): ReadRecord {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    // The library hands a missing key, value or header value over as undefined.
    key: message.key ?? null,
    value: message.value ?? null,
    headers: message.headerEntries.map(([name, value]) => [name, value ?? null] as const),
    timestampMs: message.timestamp,
  };
}

/**
 * Reads every record of `topic` from its start up to the end offsets it has when the call begins (the last
 * stable offsets with read_committed), in offset order per partition, with a group of its own. Resolves
 * with those end offsets, by partition number.
 */
export async function readTopicToEnd(options: {
  readonly brokers: Brokers;
  readonly topic: string;
  readonly onRecord: (record: ReadRecord) => void;
  readonly isolation?: Isolation;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}): Promise<Map<number, bigint>> {
  const { topic } = options;
  const ends = await withAdmin(options.brokers, (admin) => endOffsets(admin, topic, options.isolation));
  const unfinished = new Set([...ends].filter(([, end]) => end > 0n).map(([partition]) => partition));
  if (unfinished.size === 0) return ends;
  let resolve: () => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<void>((resolveRead, rejectRead) => {
    resolve = resolveRead;
    reject = rejectRead;
  });
  let reader: TopicReader | undefined;
  const finishedPartitions = () => {
    // Position past the end: every record below it was handed over, except those still in the buffer.
    for (const partition of unfinished)
      if ((reader?.position(topic, partition) ?? 0n) >= (ends.get(partition) ?? 0n))
        unfinished.delete(partition);
    if (unfinished.size === 0) resolve();
  };
  const timer = setTimeout(
    () => reject(new Error(`reading ${topic}: partitions ${[...unfinished]} not read to the end in time`)),
    options.timeoutMs ?? 120_000,
  );
  const onAbort = () => reject(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    options.signal?.throwIfAborted();
    reader = await openReader({
      brokers: options.brokers,
      topics: [topic],
      isolation: options.isolation ?? 'read_uncommitted',
      onRecord: (record) => {
        const end = ends.get(record.partition) ?? 0n;
        if (record.offset >= end) return;
        options.onRecord(record);
        if (record.offset + 1n >= end && unfinished.delete(record.partition) && unfinished.size === 0)
          resolve();
      },
      onError: reject,
    });
    // The end of a partition whose last records are not delivered (transaction markers, aborted records).
    const poll = setInterval(finishedPartitions, 200);
    try {
      await promise;
    } finally {
      clearInterval(poll);
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await reader?.close();
  }
  return ends;
}

/**
 * Reads every topic `match` selects from its start, including topics created later (looked for every
 * `pollMs`), until close().
 */
export function followTopics(options: {
  readonly brokers: Brokers;
  readonly match: (topic: string) => boolean;
  readonly onRecord: (record: ReadRecord) => void;
  readonly onError?: (error: Error) => void;
  readonly isolation?: Isolation;
  readonly pollMs?: number;
}): { close(): Promise<void> } {
  const admin = toolAdmin(options.brokers);
  const readers = new Map<string, Promise<TopicReader | null>>();
  const closing = new AbortController();
  const look = async () => {
    const topics = (await admin.listTopics()).filter((topic) => options.match(topic) && !readers.has(topic));
    for (const topic of topics) {
      const reader = openReader({ ...options, topics: [topic] }).catch((error: Error) => {
        readers.delete(topic); // looked for again at the next poll
        options.onError?.(error);
        return null;
      });
      readers.set(topic, reader);
    }
  };
  const loop = (async () => {
    while (!closing.signal.aborted) {
      await look().catch((error: Error) => options.onError?.(error));
      await sleep(options.pollMs ?? 1000, undefined, { signal: closing.signal }).catch(() => undefined);
    }
  })();
  return {
    async close() {
      closing.abort();
      await loop;
      await Promise.all([...readers.values()].map(async (reader) => (await reader)?.close()));
      await admin.close().catch(() => undefined);
    },
  };
}

function isolationLevel(isolation: Isolation): FetchIsolationLevelValue {
  return isolation === 'read_committed'
    ? FetchIsolationLevels.READ_COMMITTED
    : FetchIsolationLevels.READ_UNCOMMITTED;
}
