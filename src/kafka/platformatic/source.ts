// RecordSource on @platformatic/kafka: group membership through the library's Consumer, fetching by georep.
//
// - Membership: the Consumer joins the group (classic protocol, round-robin assignment), heartbeats on its own
//   timer whatever the handler is doing, rejoins when the group rebalances and leaves it on stop. So a slow
//   destination can no longer cost the membership, and with it a re-copy of finished partitions.
// - Fetching: one request at a time per broker, covering every assigned partition it leads that has room
//   (partition-fetcher.ts), read_committed, decoded and filtered by georep (record-batches.ts). A partition
//   holds at most one batch in the handler and one fetched ahead of it, and all of them together at most
//   BUFFERED_FETCHES fetches of maxBytesPerFetch: reading waits for the handler, memory stays bounded in bytes.
// - At-least-once: a batch's nextOffset is committed only after the handler resolved, and only for a partition
//   this member still holds. Markers and aborted records that no handler sees are committed as well.
// - Positions: after every assignment, once the batches in the handler finished and their offsets were
//   committed, each partition starts at resumePositionOf's position, else the group's committed offset, else
//   startPosition. OFFSET_OUT_OF_RANGE stops the source with OffsetOutOfRange; no offset is ever reset.
import { ConnectionPool, Consumer, type ConsumerGroupJoinPayload } from '@platformatic/kafka';
import type { ClusterConfig } from '../../config/types.js';
import { type KafkaError, OffsetOutOfRange } from '../errors.js';
import type {
  BatchHandler,
  ConsumedBatch,
  RecordSource,
  RecordSourceOptions,
  SourceEvent,
  SourceListener,
} from '../port.js';
import { baseOptions } from './client-options.js';
import { CommitQueue } from './commit-queue.js';
import { toPortError } from './map-error.js';
import { type FetchedPartition, PartitionFetcher, type TopicLayout } from './partition-fetcher.js';
import { partitionRange, ResumePositionFailed, startPositions } from './start-positions.js';

/** Batches of this many partitions may be in the handler at once (the kafkajs source's setting). */
export const DEFAULT_PARTITIONS_IN_PARALLEL = 6;
/** One fetch request's records; with BUFFERED_FETCHES it bounds a source's memory (bounded-memory.test.ts). */
export const DEFAULT_MAX_BYTES_PER_FETCH = 10 * 1024 * 1024;
/** One partition's share of a fetch (a larger batch still comes alone): large, as reading waits for writing. */
export const DEFAULT_MAX_BYTES_PER_PARTITION = 4 * 1024 * 1024;
/**
 * Fetched bytes a source holds at most, in the handler, fetched ahead and asked for, in fetches: two, so the next
 * batches are fetched while the handler writes the current ones.
 */
const BUFFERED_FETCHES = 2;
/** How long the broker holds a fetch without new records; bounds how long an idle source takes to stop. */
const FETCH_MAX_WAIT_MS = 500;
const HEARTBEAT_INTERVAL_MS = 3000;
/** How long the group waits for its members to rejoin in a rebalance. */
const REBALANCE_TIMEOUT_MS = 60_000;
/**
 * The Consumer's own retries of a failed group request (join, sync, heartbeat, commit, offset lookups): the
 * coordinator moving or the group rebalancing is routine there, and must not stop the source.
 */
const GROUP_RETRIES = 5;
/** Failed fetches in a row (leader moving, network) after which run() rejects with the last error. */
const FETCH_ATTEMPTS = 6;
const FETCH_RETRY_DELAY_MS = 500;

interface PartitionState {
  readonly partition: number;
  /** The next offset to fetch; null until the start position is known. */
  position: bigint | null;
  /** Past the last batch handed to the handler (or the start): where fetching restarts after a pause. */
  resumeOffset: bigint | null;
  /** Raised whenever fetched data is thrown away, so that a response to an earlier request is ignored. */
  epoch: number;
  fetching: boolean;
  ready: { readonly batch: ConsumedBatch; readonly bytes: number } | null;
  /** Offsets past markers and aborted records, committed once the batch in the handler finished. */
  advancedTo: bigint | null;
  /** The last fetch got nothing below the last stable offset (a batch too large to come whole): ask first. */
  starved: boolean;
}

export class PlatformaticSource implements RecordSource {
  readonly #config: ClusterConfig;
  readonly #options: RecordSourceOptions;
  readonly #maxBytesPerFetch: number;
  readonly #maxBytesPerPartition: number;
  readonly #partitionsInParallel: number;
  readonly #abort = new AbortController();
  #consumer: Consumer | undefined;
  #pool: ConnectionPool | undefined;
  #fetcher: PartitionFetcher | undefined;
  #commits: CommitQueue | undefined;
  #handler: BatchHandler = async () => {};
  #listener: SourceListener = () => {};
  #settle: { resolve(): void; reject(error: unknown): void } | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #failed = false;
  #paused = false;
  #rebalancing = false;
  #assignment = new Map<number, PartitionState>();
  #generation = 0;
  #layout: TopicLayout | undefined;
  #loadingLayout = false;
  #fetchFailures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #brokersFetching = new Set<number>();
  #reservedBytes = 0;
  #heldBytes = 0;
  #rotation = 0;
  /** Batches in the handler, by partition; each entry settles when its handler did. */
  readonly #inHandler = new Map<number, Promise<void>>();

  constructor(config: ClusterConfig, options: RecordSourceOptions) {
    this.#config = config;
    this.#options = options;
    this.#maxBytesPerFetch = options.maxBytesPerFetch ?? DEFAULT_MAX_BYTES_PER_FETCH;
    this.#maxBytesPerPartition = Math.min(
      options.maxBytesPerPartition ?? DEFAULT_MAX_BYTES_PER_PARTITION,
      this.#maxBytesPerFetch,
    );
    this.#partitionsInParallel = options.partitionsInParallel ?? DEFAULT_PARTITIONS_IN_PARALLEL;
  }

  run(handler: BatchHandler, listener: SourceListener = () => {}): Promise<void> {
    if (this.#settle !== undefined || this.#starting !== undefined) {
      return Promise.reject(new Error('run() can be called once per source'));
    }
    this.#handler = handler;
    this.#listener = listener;
    const done = new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.#starting = this.#start().catch((error: unknown) => this.#fail(error));
    return done;
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    // What was fetched ahead is dropped, and read again on resume: a paused source delivers nothing, and one
    // overtaken by retention while paused finds out when it resumes.
    for (const state of this.#assignment.values()) this.#rewind(state);
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#pump();
  }

  stop(options: { readonly inFlightGraceMs?: number } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.inFlightGraceMs ?? Number.POSITIVE_INFINITY);
    return this.#stopping;
  }

  async #start(): Promise<void> {
    const { topic, groupId } = this.#options;
    const options = { ...baseOptions(this.#config, 'source'), retries: GROUP_RETRIES };
    const consumer = new Consumer({
      ...options,
      groupId,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      ...(this.#options.sessionTimeoutMs === undefined
        ? {}
        : { sessionTimeout: this.#options.sessionTimeoutMs }),
    });
    this.#consumer = consumer;
    this.#pool = new ConnectionPool(`${options.clientId}-fetch`, options);
    this.#fetcher = new PartitionFetcher(consumer, this.#pool, topic, FETCH_MAX_WAIT_MS);
    this.#commits = new CommitQueue(
      consumer,
      topic,
      (offsets) => this.#emit({ type: 'committed', offsets }),
      (error) => this.#fail(error),
    );
    // A rejoin that failed for good (the library's heartbeat gives up and reports it here): no partitions
    // are held any more, so the source stops and the runtime starts it again.
    consumer.on('error', (error: unknown) => this.#fail(error));
    consumer.on('consumer:group:rebalance', () => {
      this.#rebalancing = true;
      this.#emit({ type: 'rebalancing' });
    });
    consumer.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => this.#onJoin(payload));
    // Asked first so that a missing topic is TopicNotFound, not a group that cannot compute an assignment.
    this.#layout = await this.#fetcher.layout(false);
    if (this.#stopping !== undefined) return;
    consumer.topics.track(topic);
    await consumer.joinGroup({
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      ...(this.#options.sessionTimeoutMs === undefined
        ? {}
        : { sessionTimeout: this.#options.sessionTimeoutMs }),
    });
  }

  #onJoin(payload: ConsumerGroupJoinPayload): void {
    const partitions = (payload.assignments ?? [])
      .filter((assignment) => assignment.topic === this.#options.topic)
      .flatMap((assignment) => assignment.partitions)
      .sort((a, b) => a - b);
    this.#rebalancing = false;
    for (const state of this.#assignment.values()) this.#rewind(state);
    this.#assignment = new Map(partitions.map((partition) => [partition, newPartitionState(partition)]));
    const generation = ++this.#generation;
    this.#emit({ type: 'assigned', partitions });
    this.#startPartitions(generation).catch((error: unknown) => this.#fail(error));
  }

  /** Once the batches in the handler finished and were committed, sets where each assigned partition starts. */
  async #startPartitions(generation: number): Promise<void> {
    await this.#handlersSettled();
    await this.#commits?.flush();
    if (generation !== this.#generation || !this.#running()) return;
    const positions = await startPositions(this.#consumer!, [...this.#assignment.keys()], this.#options);
    if (generation !== this.#generation || !this.#running()) return;
    for (const [partition, position] of positions) {
      const state = this.#assignment.get(partition);
      if (state === undefined) continue;
      state.position = position;
      state.resumeOffset = position;
    }
    this.#pump();
  }

  /** Sends a fetch to every broker that has none in flight and leads partitions with room, if memory allows. */
  #pump(): void {
    if (!this.#fetching() || this.#fetcher === undefined) return;
    const layout = this.#layout;
    if (layout === undefined) {
      this.#loadLayout();
      return;
    }
    const wanted = new Map<number, PartitionState[]>();
    for (const state of this.#assignment.values()) {
      if (state.position === null || state.fetching || state.ready !== null) continue;
      const leader = layout.leaders[state.partition] ?? -1;
      if (leader < 0) {
        this.#layout = undefined;
        this.#loadLayout();
        return;
      }
      if (this.#brokersFetching.has(leader)) continue;
      const led = wanted.get(leader);
      if (led === undefined) wanted.set(leader, [state]);
      else led.push(state);
    }
    for (const [broker, states] of wanted) {
      const room = BUFFERED_FETCHES * this.#maxBytesPerFetch - this.#heldBytes - this.#reservedBytes;
      if (room < this.#maxBytesPerPartition) return;
      this.#fetchFrom(layout, broker, this.#requestOrder(states), Math.min(room, this.#maxBytesPerFetch));
    }
  }

  /** Starved partitions first, then the others in a rotating order, so each gets to be first in turn. */
  #requestOrder(states: PartitionState[]): PartitionState[] {
    const start = this.#rotation++ % states.length;
    const rotated = [...states.slice(start), ...states.slice(0, start)];
    return [...rotated.filter((state) => state.starved), ...rotated.filter((state) => !state.starved)];
  }

  #fetchFrom(layout: TopicLayout, broker: number, states: PartitionState[], maxBytes: number): void {
    const sent = states.map((state) => ({ state, epoch: state.epoch, offset: state.position! }));
    for (const state of states) state.fetching = true;
    this.#brokersFetching.add(broker);
    this.#reservedBytes += maxBytes;
    const request = sent.map(({ state, offset }) => ({
      partition: state.partition,
      offset,
      maxBytes: this.#maxBytesPerPartition,
    }));
    this.#fetcher!.fetch(layout, broker, request, maxBytes)
      .then(
        (fetched) => this.#onFetched(sent, fetched),
        (error: unknown) => this.#onFetchFailed(error),
      )
      .catch((error: unknown) => this.#fail(error))
      .finally(() => {
        for (const state of states) state.fetching = false;
        this.#brokersFetching.delete(broker);
        this.#reservedBytes -= maxBytes;
        this.#dispatch();
        this.#pump();
      });
  }

  #onFetched(
    sent: readonly { state: PartitionState; epoch: number; offset: bigint }[],
    fetched: readonly FetchedPartition[],
  ): void {
    let retry: Error | undefined;
    for (const outcome of fetched) {
      const request = sent.find(({ state }) => state.partition === outcome.partition);
      const state = request?.state;
      // Answers for partitions given up or fetched data thrown away since the request left are ignored.
      if (state === undefined || this.#assignment.get(state.partition) !== state) continue;
      if (state.epoch !== request!.epoch || state.position !== request!.offset) continue;
      if (outcome.kind === 'retry') {
        retry = outcome.error;
      } else if (outcome.kind === 'out-of-range') {
        this.#failOutOfRange(outcome.partition, outcome.fetchOffset);
        return;
      } else {
        this.#accept(state, outcome);
      }
    }
    if (retry === undefined) this.#fetchFailures = 0;
    else this.#onFetchFailed(retry);
  }

  #accept(state: PartitionState, outcome: Extract<FetchedPartition, { kind: 'read' }>): void {
    const { read } = outcome;
    state.starved =
      read.nextOffset === outcome.fetchOffset &&
      outcome.lastStableOffset >= 0n &&
      outcome.fetchOffset < outcome.lastStableOffset;
    if (read.nextOffset === outcome.fetchOffset) return;
    state.position = read.nextOffset;
    if (read.records.length === 0) {
      // Only markers and aborted records: nothing to hand on, but the group's offset moves past them.
      state.resumeOffset = read.nextOffset;
      if (this.#inHandler.has(state.partition)) state.advancedTo = read.nextOffset;
      else this.#commits?.add(state.partition, read.nextOffset);
      return;
    }
    state.ready = {
      batch: {
        topic: this.#options.topic,
        partition: state.partition,
        records: read.records,
        nextOffset: read.nextOffset,
        highWatermark: outcome.highWatermark,
      },
      bytes: read.bytes,
    };
    this.#heldBytes += read.bytes;
  }

  /** Transient failures are retried after a pause with fresh metadata; too many in a row stop the source. */
  #onFetchFailed(error: unknown): void {
    this.#fetchFailures += 1;
    if (!this.#portError(error).retriable || this.#fetchFailures >= FETCH_ATTEMPTS) {
      this.#fail(error);
      return;
    }
    this.#layout = undefined;
    if (this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#pump();
    }, FETCH_RETRY_DELAY_MS * this.#fetchFailures);
  }

  #loadLayout(): void {
    if (this.#loadingLayout || this.#retryTimer !== undefined) return;
    this.#loadingLayout = true;
    this.#fetcher!.layout(true)
      .then((layout) => {
        this.#layout = layout;
      })
      .catch((error: unknown) => this.#onFetchFailed(error))
      .finally(() => {
        this.#loadingLayout = false;
        if (this.#layout !== undefined) this.#pump();
      });
  }

  /** Hands fetched batches to the handler, oldest first, while fewer than partitionsInParallel are in it. */
  #dispatch(): void {
    if (!this.#delivering()) return;
    for (const state of this.#assignment.values()) {
      if (this.#inHandler.size >= this.#partitionsInParallel) return;
      if (state.ready === null || this.#inHandler.has(state.partition)) continue;
      const { batch, bytes } = state.ready;
      state.ready = null;
      state.resumeOffset = batch.nextOffset;
      this.#inHandler.set(state.partition, this.#deliver(state.partition, batch, bytes));
    }
  }

  async #deliver(partition: number, batch: ConsumedBatch, bytes: number): Promise<void> {
    try {
      await this.#handler(batch, this.#abort.signal);
      if (this.#abort.signal.aborted) return; // given up on by stop(): read again later
      const state = this.#assignment.get(partition);
      if (state === undefined) return; // the partition moved to another member meanwhile
      this.#commits?.add(partition, state.advancedTo ?? batch.nextOffset);
      state.advancedTo = null;
    } catch (error) {
      if (!this.#abort.signal.aborted) this.#fail(error, { fromHandler: true });
    } finally {
      this.#heldBytes -= bytes;
      this.#inHandler.delete(partition);
      this.#dispatch();
      this.#pump();
    }
  }

  /** Throws away what was fetched ahead for the partition: fetching starts again past the last batch handed on. */
  #rewind(state: PartitionState): void {
    state.epoch += 1;
    if (state.ready !== null) this.#heldBytes -= state.ready.bytes;
    state.ready = null;
    state.position = state.resumeOffset;
  }

  async #handlersSettled(): Promise<void> {
    while (this.#inHandler.size > 0) await Promise.allSettled([...this.#inHandler.values()]);
  }

  async #stop(inFlightGraceMs: number): Promise<void> {
    for (const state of this.#assignment.values()) this.#rewind(state);
    clearTimeout(this.#retryTimer);
    const abortTimer = Number.isFinite(inFlightGraceMs)
      ? setTimeout(() => this.#abort.abort(), inFlightGraceMs)
      : undefined;
    try {
      await this.#starting;
      await this.#handlersSettled();
      clearTimeout(abortTimer);
      await this.#commits?.flush();
      // Leaving hands the partitions to the other members at once, instead of after the session timeout.
      const consumer = this.#consumer;
      // (leaveGroup's callback form: its typings resolve a call without a callback to the one returning void)
      if (consumer !== undefined) await new Promise<void>((done) => consumer.leaveGroup(false, () => done()));
      await consumer?.close().catch(() => undefined);
      await this.#pool?.close().catch(() => undefined);
    } finally {
      clearTimeout(abortTimer);
      const settle = this.#settle;
      this.#settle = undefined;
      settle?.resolve();
    }
  }

  /** Ends run() with `error` (a handler's own, else mapped to a port error) and leaves the group; the first outcome wins. */
  #fail(error: unknown, options: { fromHandler?: boolean } = {}): void {
    const settle = this.#claimFailure();
    if (settle === undefined) return;
    if (options.fromHandler === true) settle.reject(error);
    else if (error instanceof ResumePositionFailed) settle.reject(error.cause);
    else settle.reject(this.#portError(error));
    void this.stop({ inFlightGraceMs: 0 });
  }

  /** Names the partition's current range in the error, so an operator sees how much was lost. */
  #failOutOfRange(partition: number, requestedOffset: bigint): void {
    const settle = this.#claimFailure();
    if (settle === undefined) return;
    const topic = this.#options.topic;
    void partitionRange(this.#consumer!, topic, partition).then((range) => {
      settle.reject(
        new OffsetOutOfRange(this.#config.name, {
          topic,
          partition,
          requestedOffset,
          earliest: range?.earliest ?? null,
          latest: range?.latest ?? null,
        }),
      );
      void this.stop({ inFlightGraceMs: 0 });
    });
  }

  /** The first failure stops fetching and handing on, and gets to settle run(). */
  #claimFailure(): { resolve(): void; reject(error: unknown): void } | undefined {
    const settle = this.#settle;
    if (settle === undefined || !this.#running()) return undefined;
    this.#failed = true;
    this.#settle = undefined;
    return settle;
  }

  #portError(error: unknown): KafkaError {
    return toPortError(error, this.#config.name, {
      operation: `read topic ${this.#options.topic} as group ${this.#options.groupId}`,
      topic: this.#options.topic,
      groupId: this.#options.groupId,
    });
  }

  #emit(event: SourceEvent): void {
    try {
      this.#listener(event);
    } catch {
      // a listener's bug must not break consumption
    }
  }

  #running(): boolean {
    return this.#stopping === undefined && !this.#failed;
  }

  #fetching(): boolean {
    return this.#running() && !this.#paused && !this.#rebalancing;
  }

  #delivering(): boolean {
    return this.#fetching();
  }
}

function newPartitionState(partition: number): PartitionState {
  return {
    partition,
    position: null,
    resumeOffset: null,
    epoch: 0,
    fetching: false,
    ready: null,
    advancedTo: null,
    starved: false,
  };
}
