// Reading records with @platformatic/kafka's own Consumer, for tests, benchmarks and the demo (see
// kafka-client.ts). Gaps of the library (2.12.1) that this file does not correct, so checks that depend on
// them use Kafka's own Java tools instead (test/integration/support/java-records.ts):
// - read_committed lets aborted records through when one producer has two aborted transactions in a fetch, or
//   when the abort marker lies beyond the end of a fetch: a reader here does not prove what an exactly-once
//   copy holds;
// - a record read here carries first-timestamp + delta and no timestamp type: on a LogAppendTime topic its
//   timestamp is not the one Kafka serves.
//
//   await readTopicToEnd({ brokers: bootstrap, topic: 'orders', onRecord: (record) => … });
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
import {
  type Brokers,
  DEFAULT_CLIENT_ID,
  endOffsets,
  type Isolation,
  isolationLevel,
  toolAdmin,
  toolClientOptions,
  withAdmin,
} from './kafka-client.js';

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
