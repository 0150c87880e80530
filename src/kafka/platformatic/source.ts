// RecordSource on @platformatic/kafka: group membership through the library's Consumer, fetching by georep.
//
// - Membership: the Consumer joins the group (classic protocol, round-robin assignment), heartbeats on its own
//   timer whatever the handler is doing, rejoins when the group rebalances and leaves it on stop. So a slow
//   destination can no longer cost the membership, and with it a re-copy of finished partitions.
// - Fetching (fetch-loop.ts): one request at a time per broker, covering every assigned partition it leads that
//   has room (partition-fetcher.ts), read_committed, decoded and filtered by georep (record-batches.ts), within
//   the bounds of fetch-limits.ts: reading waits for the handler, memory stays bounded in bytes.
// - At-least-once: a batch's nextOffset is committed only after the handler resolved, and only for a partition
//   this member still holds. Markers and aborted records that no handler sees are committed as well.
// - Positions: after every assignment, once the batches in the handler finished and their offsets were
//   committed, each partition starts at resumePositionOf's position, else the group's committed offset, else
//   startPosition. OFFSET_OUT_OF_RANGE stops the source with OffsetOutOfRange; no offset is ever reset.
import { setImmediate as nextTurn } from 'node:timers/promises';
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
import { unreadableBatch } from './fetch-answer.js';
import { FETCH_MAX_WAIT_MS, FETCH_RETRY_DELAY_MS, fetchLoopLimits } from './fetch-limits.js';
import { FetchLoop, type FetchLoopLimits } from './fetch-loop.js';
import { isTransientReadError, toPortError } from './map-error.js';
import { PartitionFetcher } from './partition-fetcher.js';
import { directPositionReads } from './position-reads.js';
import { partitionRange, ResumePositionFailed, startPositions } from './start-positions.js';
import { TlsAlerts } from './tls-alerts.js';

/** Batches of this many partitions may be in the handler at once. */
export const DEFAULT_PARTITIONS_IN_PARALLEL = 6;
const HEARTBEAT_INTERVAL_MS = 3000;
/** How long the group waits for its members to rejoin in a rebalance. */
const REBALANCE_TIMEOUT_MS = 60_000;
/**
 * The Consumer's own retries of a failed group request (join, sync, heartbeat, commit, offset lookups): the
 * coordinator moving or the group rebalancing is routine there, and must not stop the source.
 */
const GROUP_RETRIES = 5;

export class PlatformaticSource implements RecordSource {
  readonly #config: ClusterConfig;
  readonly #options: RecordSourceOptions;
  readonly #limits: FetchLoopLimits;
  readonly #partitionsInParallel: number;
  readonly #abort = new AbortController();
  /** The broker TLS alerts of this source's consumer and fetch connections. */
  readonly #tlsAlerts = new TlsAlerts();
  #consumer: Consumer | undefined;
  #pool: ConnectionPool | undefined;
  #commits: CommitQueue | undefined;
  #handler: BatchHandler = async () => {};
  #listener: SourceListener = () => {};
  #settle: { resolve(): void; reject(error: unknown): void } | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #failed = false;
  #paused = false;
  #rebalancing = false;
  /** An `unreachable` event was sent and no fetch was answered since. */
  #unreachable = false;
  #loop: FetchLoop | undefined;
  /** Raised by every assignment: start positions looked up for an earlier one are not applied. */
  #generation = 0;
  /** Batches in the handler, by partition; each entry settles when its handler did. */
  readonly #inHandler = new Map<number, Promise<void>>();
  /** Offsets past markers and aborted records that followed a batch still in the handler: committed after it. */
  readonly #skippedTo = new Map<number, bigint>();

  constructor(config: ClusterConfig, options: RecordSourceOptions) {
    this.#config = config;
    this.#options = options;
    this.#limits = fetchLoopLimits(options);
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
    this.#loop?.rewind();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#loop?.pump();
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
    this.#tlsAlerts.watch(consumer, 'client:broker:connect');
    this.#tlsAlerts.watch(this.#pool, 'connect');
    const fetcher = new PartitionFetcher(consumer, this.#pool, this.#config.name, FETCH_MAX_WAIT_MS);
    fetcher.expectTopicId(topic, this.#options.topicId);
    this.#commits = new CommitQueue(consumer, {
      onCommitted: (offsets) =>
        this.#emit({
          type: 'committed',
          offsets: offsets.map(({ partition, offset }) => ({ partition, offset })),
        }),
      onError: (error) => this.#fail(error),
      onUnreachable: (detail) => this.#onUnreachable(detail),
      retryDelayMs: FETCH_RETRY_DELAY_MS,
      retrying: () => this.#running(),
    });
    // A rejoin that failed for good (the library's heartbeat gives up and reports it here): no partitions
    // are held any more, so the source stops and the runtime starts it again.
    consumer.on('error', (error: unknown) => this.#fail(error));
    consumer.on('consumer:group:rebalance', () => {
      this.#rebalancing = true;
      this.#emit({ type: 'rebalancing' });
    });
    consumer.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => this.#onJoin(payload));
    // Asked first so that a missing topic is TopicNotFound, not a group that cannot compute an assignment.
    const layout = await fetcher.layout([topic], false);
    this.#loop = new FetchLoop(fetcher, layout, this.#limits, {
      canFetch: () => this.#running() && !this.#paused && !this.#rebalancing,
      onReady: () => this.#dispatch(),
      onSkipped: (_topic, partition, offset) => {
        if (this.#inHandler.has(partition)) this.#skippedTo.set(partition, offset);
        else this.#commits?.add(topic, partition, offset);
      },
      onStopped: (stopped) => {
        if (stopped.kind === 'out-of-range') this.#failOutOfRange(stopped.partition, stopped.fetchOffset);
        else this.#fail(unreadableBatch(this.#config.name, stopped));
      },
      onFailure: (error) => this.#fail(error),
      isTransient: (error) => isTransientReadError(this.#portError(error)),
      onUnreachable: (detail) => this.#onUnreachable(detail),
      onAnswered: () => {
        if (!this.#unreachable) return;
        this.#unreachable = false;
        this.#emit({ type: 'reachable' });
      },
    });
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
    this.#loop?.assign(this.#options.topic, partitions);
    const generation = ++this.#generation;
    this.#emit({ type: 'assigned', partitions });
    this.#startPartitions(generation, partitions).catch((error: unknown) => this.#fail(error));
  }

  /** Once the batches in the handler finished and were committed, sets where each assigned partition starts. */
  async #startPartitions(generation: number, partitions: readonly number[]): Promise<void> {
    await this.#handlersSettled();
    await this.#commits?.flush();
    if (generation !== this.#generation || !this.#running()) return;
    const positions = await startPositions(directPositionReads(this.#consumer!), partitions, this.#options);
    if (generation !== this.#generation || !this.#running()) return;
    for (const [partition, position] of positions)
      this.#loop?.start(this.#options.topic, partition, position);
    this.#loop?.pump();
  }

  #onUnreachable(detail: string): void {
    this.#unreachable = true;
    this.#emit({ type: 'unreachable', detail });
  }

  /** Hands ready batches to the handler while fewer than partitionsInParallel are in it. */
  #dispatch(): void {
    const loop = this.#loop;
    if (loop === undefined || !this.#running() || this.#paused || this.#rebalancing) return;
    for (const { batch, bytes } of loop.readyBatches((_topic, partition) => this.#inHandler.has(partition))) {
      this.#inHandler.set(batch.partition, this.#deliver(batch, bytes));
      if (this.#inHandler.size >= this.#partitionsInParallel) return;
    }
  }

  async #deliver(batch: ConsumedBatch, bytes: number): Promise<void> {
    const { partition } = batch;
    try {
      await nextTurn(); // after the fetch loop's next request, as in LaneHandlers
      if (this.#abort.signal.aborted) return;
      await this.#handler(batch, this.#abort.signal);
      // Committed even when stop() gave up on it meanwhile: the destination acknowledged every record, and
      // reading them again would only copy them twice (the stop commits before it leaves the group).
      const skippedTo = this.#skippedTo.get(partition);
      this.#skippedTo.delete(partition);
      // Only for a partition still held: another member may have moved its offset on since it was assigned there.
      if (this.#loop?.has(batch.topic, partition) === true)
        this.#commits?.add(batch.topic, partition, skippedTo ?? batch.nextOffset);
    } catch (error) {
      if (!this.#abort.signal.aborted) this.#fail(error, { fromHandler: true });
    } finally {
      this.#loop?.release(bytes);
      this.#inHandler.delete(partition);
      this.#dispatch();
      this.#loop?.pump();
    }
  }

  async #handlersSettled(): Promise<void> {
    while (this.#inHandler.size > 0) await Promise.allSettled([...this.#inHandler.values()]);
  }

  async #stop(inFlightGraceMs: number): Promise<void> {
    this.#loop?.stop();
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
    return toPortError(this.#tlsAlerts.explain(error), this.#config.name, {
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
}
