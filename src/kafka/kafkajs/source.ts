// RecordSource over a kafkajs consumer in a consumer group.
//
// How the port's promises map onto kafkajs:
// - At-least-once: eachBatch with auto-resolve off. An offset is resolved only after the handler resolved,
//   and kafkajs (autoCommit on) commits resolved offsets after each batch and before it rejoins a rebalancing
//   group, never anything unresolved. A handler that fails resolves nothing.
// - Backpressure: kafkajs's fetcher waits for every batch of one fetch to be handled before it fetches again,
//   so memory is bounded by maxBytesPerFetch and a slow destination slows reading.
// - Failures: kafkajs is told never to restart a crashed consumer (restartOnFailure → false); any crash ends
//   run() with a port error, and the runtime decides about retrying. A failing handler crashes the consumer
//   on purpose by throwing a non-retriable error, so kafkajs does not retry the batch on its own.
// - Offset out of range: load-kafkajs.ts makes kafkajs throw FetchPositionOutOfRange instead of resetting
//   the group's offset; run() rejects with OffsetOutOfRange, naming the offset and the partition's range.
// - Resume positions (exactly-once): kafkajs has no assign(), and a GROUP_JOIN listener cannot hold the
//   fetch back. So the first batch of each partition after an assignment waits for `resumePositionOf`, and is
//   trimmed to start there, or not handed on at all and the partition sought to it (see resumeDecision).
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { KafkaClientIncompatible, OffsetOutOfRange } from '../errors.js';
import type {
  BatchHandler,
  ConsumedBatch,
  ConsumedRecord,
  RecordHeader,
  RecordSource,
  RecordSourceOptions,
  SourceEvent,
  SourceListener,
  TimestampType,
} from '../port.js';
import { FetchPositionOutOfRange } from './load-kafkajs.js';
import { causeChain, toPortError } from './map-error.js';

/**
 * kafkajs hands a fetch's batches (one per partition) to this many workers and fetches again only when all are
 * written; with fewer workers than partitions, the last batches of each fetch were written one after another.
 */
export const DEFAULT_PARTITIONS_IN_PARALLEL = 6;
/**
 * One fetch's records, across the partitions of one broker: with the fetcher waiting for them to be written
 * before it fetches again, this is what bounds a flow's memory when the destination is slow
 * (test/integration/bounded-memory.test.ts). kafkajs's own default, stated here because georep relies on it.
 */
export const DEFAULT_MAX_BYTES_PER_FETCH = 10 * 1024 * 1024;
/**
 * One partition's share of a fetch; a larger record still comes alone. Four times kafkajs's and Kafka's default:
 * reading waits for writing, so each fetch→write cycle should move as much as the fetch bound allows. With
 * 1 MiB, copying 6 partitions on a quiet machine ran at 88–100k records/s of 1 KiB; with 4 MiB (the whole
 * fetch then stops at DEFAULT_MAX_BYTES_PER_FETCH) at 145–149k (bench/throughput.ts, georep alone).
 */
export const DEFAULT_MAX_BYTES_PER_PARTITION = 4 * 1024 * 1024;
const HEARTBEAT_INTERVAL_MS = 3000;
/**
 * How long the broker may hold a fetch while it has no new records. stop() waits for the fetch in flight, so
 * this bounds how long an idle flow takes to stop (kafkajs's default is 5 s; Kafka's Java consumer uses 0.5 s).
 */
const FETCH_MAX_WAIT_MS = 1000;
/** Commits offsets of batches that were entirely transaction markers or aborted records, which no handler sees. */
const IDLE_COMMIT_INTERVAL_MS = 5000;
/** kafkajs's own retries of a failing request inside the consumer (join, fetch, commit) before it crashes. */
const CONSUMER_RETRIES = 5;
/** The timestamp-type bit of a legacy (magic 1) message's attributes. */
const LEGACY_LOG_APPEND_TIME_BIT = 0x08;

/** What the record-codec patch adds to kafkajs's decoded records. */
type PatchedMessage = KafkaMessage & {
  orderedHeaders?: RecordHeader[];
  magicByte?: number;
  batchContext?: { timestampType?: number };
};

/**
 * Thrown into kafkajs from eachBatch when a batch could not be delivered (the handler failed, or a record
 * could not be converted); non-retriable so kafkajs stops at once. It carries no `cause`: kafkajs would
 * unwrap it and the source would no longer recognise its own error. The source keeps the real error.
 */
class DeliveryFailed extends Error {
  readonly retriable = false;
}

export class KafkajsSource implements RecordSource {
  readonly #kafka: Kafka;
  readonly #clusterName: string;
  readonly #options: RecordSourceOptions;
  readonly #abort = new AbortController();
  #consumer: Consumer | undefined;
  #started = false;
  #stopping: Promise<void> | undefined;
  #paused = false;
  /** Set once consumer.run() returned: before that, kafkajs's pause and resume throw. */
  #consumerRunning = false;
  /** consumer.run(): resolves once the consumer joined the group, or gave up joining. */
  #joined: Promise<void> | undefined;
  /** The handler's own error (or a record conversion's), when it is what stopped the source. */
  #deliveryError: unknown;
  #settle: { resolve(): void; reject(error: unknown): void } | undefined;
  /** Connecting, subscribing and joining; a stop waits for it, as kafkajs cannot stop a consumer mid-join. */
  #starting: Promise<void> | undefined;
  /** With `resumePositionOf`: partitions whose resume position was applied since the last assignment. */
  readonly #resumed = new Set<number>();

  constructor(kafka: Kafka, clusterName: string, options: RecordSourceOptions) {
    this.#kafka = kafka;
    this.#clusterName = clusterName;
    this.#options = options;
  }

  run(handler: BatchHandler, listener: SourceListener = () => {}): Promise<void> {
    if (this.#started) {
      return Promise.reject(new Error('run() can be called once per source'));
    }
    this.#started = true;
    const done = new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.#starting = this.#start(handler, listener).catch((error: unknown) => this.#fail(error));
    return done;
  }

  pause(): void {
    this.#paused = true;
    this.#consumerIfRunning()?.pause([{ topic: this.#options.topic }]);
  }

  resume(): void {
    this.#paused = false;
    this.#consumerIfRunning()?.resume([{ topic: this.#options.topic }]);
  }

  stop(options: { readonly inFlightGraceMs?: number } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.inFlightGraceMs ?? Number.POSITIVE_INFINITY);
    return this.#stopping;
  }

  async #start(handler: BatchHandler, listener: SourceListener): Promise<void> {
    const { topic, groupId } = this.#options;
    const consumer = this.#kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      readUncommitted: false,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      ...(this.#options.sessionTimeoutMs === undefined
        ? {}
        : { sessionTimeout: this.#options.sessionTimeoutMs }),
      maxBytesPerPartition: this.#options.maxBytesPerPartition ?? DEFAULT_MAX_BYTES_PER_PARTITION,
      maxBytes: this.#options.maxBytesPerFetch ?? DEFAULT_MAX_BYTES_PER_FETCH,
      retry: { retries: CONSUMER_RETRIES, restartOnFailure: async () => false },
    });
    this.#consumer = consumer;
    this.#listen(consumer, listener);
    try {
      await consumer.connect();
      await consumer.subscribe({
        topics: [topic],
        fromBeginning: this.#options.startPosition === 'earliest',
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    if (this.#stopping !== undefined) return;
    this.#joined = consumer.run({
      autoCommit: true,
      autoCommitInterval: IDLE_COMMIT_INTERVAL_MS,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#options.partitionsInParallel ?? DEFAULT_PARTITIONS_IN_PARALLEL,
      eachBatch: (payload) => this.#handleBatch(payload, handler),
    });
    await this.#joined;
    this.#consumerRunning = true;
    if (this.#paused) consumer.pause([{ topic }]);
  }

  #listen(consumer: Consumer, listener: SourceListener): void {
    const { topic } = this.#options;
    const emit = (event: SourceEvent) => {
      try {
        listener(event);
      } catch {
        // a listener's bug must not break consumption
      }
    };
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.#resumed.clear();
      emit({
        type: 'assigned',
        partitions: [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b),
      });
    });
    consumer.on(consumer.events.REBALANCING, () => emit({ type: 'rebalancing' }));
    consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
      const offsets = payload.topics
        .filter((entry) => entry.topic === topic)
        .flatMap((entry) =>
          entry.partitions.map((partition) => ({
            partition: Number(partition.partition),
            offset: BigInt(partition.offset),
          })),
        );
      if (offsets.length > 0) emit({ type: 'committed', offsets });
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.#fail(payload.error);
    });
  }

  async #handleBatch(payload: EachBatchPayload, handler: BatchHandler): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning } = payload;
    // A batch fetched after stop() was asked for is left unresolved: it is read again later.
    if (!isRunning() || this.#stopping !== undefined || batch.messages.length === 0) return;
    let consumed: ConsumedBatch;
    try {
      consumed = {
        topic: batch.topic,
        partition: batch.partition,
        records: batch.messages.map((message) =>
          toConsumedRecord(message as PatchedMessage, batch.partition),
        ),
        nextOffset: BigInt(batch.lastOffset()) + 1n,
        highWatermark: BigInt(batch.highWatermark),
      };
    } catch (error) {
      this.#deliveryError = error;
      throw new DeliveryFailed('a record could not be converted');
    }
    // The handler may wait on a slow destination for longer than the session timeout: keep the membership alive.
    const heartbeats = setInterval(() => {
      heartbeat().catch(() => {
        // a rebalance shows up again in kafkajs's own heartbeat after this batch, which rejoins the group
      });
    }, HEARTBEAT_INTERVAL_MS);
    try {
      const resumePositionOf = this.#options.resumePositionOf;
      if (resumePositionOf !== undefined && !this.#resumed.has(batch.partition)) {
        const decision = resumeDecision(
          // Set by kafkajs's Batch (the offset the fetch asked for), though its types omit it.
          BigInt((batch as typeof batch & { fetchedOffset: string }).fetchedOffset),
          consumed.records,
          await resumePositionOf(batch.partition),
        );
        this.#resumed.add(batch.partition);
        if (decision.kind === 'seek') {
          // Unresolved, so nothing of this batch is committed; kafkajs drops what it fetched for the partition.
          this.#consumer?.seek({
            topic: batch.topic,
            partition: batch.partition,
            offset: String(decision.offset),
          });
          return;
        }
        consumed = { ...consumed, records: decision.records };
      }
      await handler(consumed, this.#abort.signal);
    } catch (error) {
      if (this.#abort.signal.aborted) return; // stopping: the batch stays uncommitted and is read again later
      this.#deliveryError = error;
      throw new DeliveryFailed('the batch handler failed');
    } finally {
      clearInterval(heartbeats);
    }
    resolveOffset(batch.messages.at(-1)!.offset);
  }

  async #stop(inFlightGraceMs: number): Promise<void> {
    const abortTimer = Number.isFinite(inFlightGraceMs)
      ? setTimeout(() => this.#abort.abort(), inFlightGraceMs)
      : undefined;
    try {
      await this.#starting;
      const consumer = this.#consumer;
      if (consumer !== undefined) {
        // kafkajs's stop() does nothing while the consumer is still joining the group, and the join goes on:
        // the member it makes would never leave and would hold its partitions until its session timed out.
        // So a join in progress is waited for (disconnect() would wait for it anyway), then left properly.
        await this.#joined?.catch(() => undefined);
        await consumer.stop(); // waits for batches in the handler, commits them, leaves the group
        await consumer.disconnect();
      }
    } finally {
      clearTimeout(abortTimer);
      this.#settle?.resolve();
    }
  }

  /** Ends run() with the port error for `error`; the first outcome wins. */
  #fail(error: unknown): void {
    const settle = this.#settle;
    if (settle === undefined || this.#stopping !== undefined) return;
    this.#settle = undefined;
    void this.#portError(error).then(settle.reject, settle.reject);
    void this.#consumer?.disconnect().catch(() => undefined);
  }

  async #portError(error: unknown): Promise<unknown> {
    const chain = causeChain(error);
    if (chain.some((link) => link instanceof DeliveryFailed)) return this.#deliveryError;
    const incompatible = chain.find((link) => link instanceof KafkaClientIncompatible);
    if (incompatible !== undefined) return incompatible;
    const outOfRange = chain.find((link) => link instanceof FetchPositionOutOfRange);
    if (outOfRange instanceof FetchPositionOutOfRange) return this.#offsetOutOfRange(outOfRange);
    return toPortError(error, this.#clusterName, {
      operation: `read topic ${this.#options.topic} as group ${this.#options.groupId}`,
      topic: this.#options.topic,
      groupId: this.#options.groupId,
    });
  }

  /** Names the partition's current range in the error, so an operator sees how much was lost. */
  async #offsetOutOfRange(cause: FetchPositionOutOfRange): Promise<OffsetOutOfRange> {
    let range: { earliest: bigint; latest: bigint } | undefined;
    const admin = this.#kafka.admin();
    try {
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(cause.topic);
      const partition = offsets.find((entry) => entry.partition === cause.partition);
      if (partition !== undefined)
        range = { earliest: BigInt(partition.low), latest: BigInt(partition.high) };
    } catch {
      // the range is a courtesy; the error stands without it
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    return new OffsetOutOfRange(
      this.#clusterName,
      {
        topic: cause.topic,
        partition: cause.partition,
        requestedOffset: BigInt(cause.fetchOffset),
        earliest: range?.earliest ?? null,
        latest: range?.latest ?? null,
      },
      { cause },
    );
  }

  #consumerIfRunning(): Consumer | undefined {
    // kafkajs's pause/resume throw until consumer.run() has created the consumer group; a pause asked for
    // before that is applied right after run() (see #start).
    return this.#consumerRunning ? this.#consumer : undefined;
  }
}

export type ResumeDecision =
  /** Hand these records on: the batch's, from the resume position on. */
  | { readonly kind: 'hand-on'; readonly records: readonly ConsumedRecord[] }
  /** Hand nothing on and read the partition again from `offset`. */
  | { readonly kind: 'seek'; readonly offset: bigint };

/**
 * What becomes of a partition's first batch after an assignment, fetched from `fetchedOffset` (the group's
 * committed offset, or where the group starts without one), when the partition must resume at `resumeAt`
 * (null: no stored position, the group's offset stands). A batch that starts after the resume position would
 * skip records: read again from there. One that holds the resume position is trimmed to it. One that ends
 * before it, or whose records from it on were all aborted or markers, is dropped for a read from there.
 */
export function resumeDecision(
  fetchedOffset: bigint,
  records: readonly ConsumedRecord[],
  resumeAt: bigint | null,
): ResumeDecision {
  if (resumeAt === null || resumeAt === fetchedOffset) return { kind: 'hand-on', records };
  if (resumeAt < fetchedOffset) return { kind: 'seek', offset: resumeAt };
  const fromResume = records.filter((record) => record.offset >= resumeAt);
  return fromResume.length > 0
    ? { kind: 'hand-on', records: fromResume }
    : { kind: 'seek', offset: resumeAt };
}

function toConsumedRecord(message: PatchedMessage, partition: number): ConsumedRecord {
  const magic = message.magicByte ?? 2;
  if (magic >= 2 && !Array.isArray(message.orderedHeaders)) {
    throw new KafkaClientIncompatible(
      'kafkajs decoded a record without georep record-codec patch; headers would lose order, repeats and nulls',
    );
  }
  let timestampType: TimestampType;
  if (magic >= 2) {
    timestampType = message.batchContext?.timestampType === 1 ? 'log-append-time' : 'create-time';
  } else {
    timestampType =
      (Number(message.attributes) & LEGACY_LOG_APPEND_TIME_BIT) !== 0 ? 'log-append-time' : 'create-time';
  }
  return {
    partition,
    offset: BigInt(message.offset),
    // Legacy magic-0 messages have no timestamp; Kafka reports those as -1.
    timestampMs: message.timestamp === undefined ? -1 : Number(message.timestamp),
    timestampType,
    key: message.key ?? null,
    value: message.value,
    headers: message.orderedHeaders ?? [],
  };
}
