// A lane's shared reader on the origin (docs/design-shared-transport.md): one group membership (lane-membership.ts),
// one fetch loop and one connection per broker for every flow of the lane in this process. Flows attach their
// origin topic and get that topic's batches, as from a source of their own; attaching or detaching one flow
// starts or stops only its partitions, and nobody's group membership changes.
//
// - Which partitions: those of the attached topics whose slot this member holds (src/plan/lane-partitions.ts).
//   When the slots change, only the topics whose partitions changed are restarted, each once its batches in
//   the handler finished and were committed, from the group's committed offsets.
// - Positions: lane-restarts.ts.
// - Joining: once for all the flows attaching meanwhile; a failed join (or a membership lost since) is tried again
//   by the next attach.
// - Progress: a batch's nextOffset is committed after its flow's handler resolved, for a partition still read
//   here (lane-handlers.ts); the commits of every flow of the lane go in one OffsetCommit at a time
//   (commit-queue.ts).
// - Failures: a handler's error, an offset out of range, a re-created or a deleted topic ends that flow's run()
//   only; a failure of the membership or the loop itself ends every attached flow's.
import { ConnectionPool } from '@platformatic/kafka';
import type { ClusterConfig } from '../../config/types.js';
import { lanePartitionChanges, partitionsToRead } from '../../plan/lane-partitions.js';
import { slotOf } from '../../plan/lanes.js';
import { type KafkaError, OffsetOutOfRange, TopicNotFound, TopicRecreated } from '../errors.js';
import type { FetchedEndOffset, SourceEvent } from '../port.js';
import { RequestCoalescer } from '../request-coalescer.js';
import { SharedAttempt } from '../shared-attempt.js';
import { baseOptions } from './client-options.js';
import { CommitQueue, offsetsByTopic } from './commit-queue.js';
import { unreadableBatch } from './fetch-answer.js';
import { FETCH_MAX_WAIT_MS, FETCH_RETRY_DELAY_MS, fetchLoopLimits } from './fetch-limits.js';
import { FetchLoop } from './fetch-loop.js';
import { NO_SHARE_GROUP } from './fetch-positions.js';
import { type HandlingFlow, LaneHandlers } from './lane-handlers.js';
import { LaneMembership } from './lane-membership.js';
import { type AttachedTopic, emit, type LaneAttachment, LaneRestarts, trace } from './lane-restarts.js';
import { isTransientReadError, reportsTopicMissing, toPortError } from './map-error.js';
import { type FetchLayout, PartitionFetcher } from './partition-fetcher.js';
import { coalescedPositionReads, LANE_READS_BATCHING } from './position-reads.js';
import { partitionRange } from './start-positions.js';
import { TlsAlerts } from './tls-alerts.js';

export class LaneReader {
  readonly #config: ClusterConfig;
  readonly #groupId: string;
  readonly #membership: LaneMembership;
  readonly #pool: ConnectionPool;
  readonly #fetcher: PartitionFetcher;
  readonly #loop: FetchLoop;
  readonly #commits: CommitQueue;
  readonly #tlsAlerts = new TlsAlerts();
  readonly #attached = new Map<string, AttachedTopic>();
  readonly #handlers: LaneHandlers;
  readonly #restarts: LaneRestarts;
  #slots = new Set<number>();
  readonly #join: SharedAttempt<void>;
  /** Topics whose flows are attaching (waiting to join, reading their partition count), not yet attached. */
  readonly #attaching = new Set<string>();
  /**
   * The partition counts of topics attaching at about the same time, read in one metadata request: thousands
   * attach when georep starts, and one request each, one after another on the bootstrap connection, took
   * most of the time until every flow ran (10,000 topics: 50 s after their destination topics existed).
   */
  readonly #partitionCounts = new RequestCoalescer<string, number>({
    ...LANE_READS_BATCHING,
    send: async (topics) => {
      const layout = await this.#fetcher.layout(topics, false);
      return topics.map((topic) => partitionCountIn(layout, topic));
    },
  });
  #closed = false;
  /** Settles once the reader left its group and closed its connections; the same for every close(). */
  #closing: Promise<void> | undefined;
  #unreachable = false;

  constructor(
    config: ClusterConfig,
    options: { readonly groupId: string; readonly sessionTimeoutMs?: number },
  ) {
    this.#config = config;
    this.#groupId = options.groupId;
    this.#membership = new LaneMembership(config, options, {
      onAssigned: (slots) => this.#onSlots(new Set(slots)),
      onRebalancing: () => this.#emitAll({ type: 'rebalancing' }),
      onError: (error) => {
        // The library gave up rejoining: the next attach joins again.
        this.#join.forget();
        this.#failAll(error);
      },
    });
    this.#join = new SharedAttempt(() => this.#membership.join());
    const consumer = this.#membership.consumer;
    const clientOptions = baseOptions(config, 'source');
    this.#pool = new ConnectionPool(`${clientOptions.clientId}-fetch`, clientOptions);
    this.#tlsAlerts.watch(consumer, 'client:broker:connect');
    this.#tlsAlerts.watch(this.#pool, 'connect');
    this.#fetcher = new PartitionFetcher(consumer, this.#pool, config.name, FETCH_MAX_WAIT_MS);
    this.#commits = new CommitQueue(consumer, {
      onCommitted: (offsets) => {
        // By the topics committed, not the topics attached: one commit may carry thousands of flows' offsets.
        for (const [topic, committed] of offsetsByTopic(offsets)) {
          const attached = this.#attached.get(topic);
          if (attached !== undefined) emit(attached.attachment, { type: 'committed', offsets: committed });
        }
      },
      onError: (error) => void this.#onCommitFailed(error),
      onUnreachable: (detail) => this.#onUnreachable(detail),
      retryDelayMs: FETCH_RETRY_DELAY_MS,
      retrying: () => !this.#closed,
    });
    this.#loop = new FetchLoop(this.#fetcher, undefined, fetchLoopLimits({}), {
      canFetch: () => !this.#closed,
      onReady: () => this.#handlers.dispatch(),
      onSkipped: (topic, partition, offset) => this.#handlers.skipped(topic, partition, offset),
      onStopped: (stopped) => {
        if (stopped.kind === 'out-of-range')
          this.#failOutOfRange(stopped.topic, stopped.partition, stopped.fetchOffset);
        else this.#failTopic(stopped.topic, unreadableBatch(this.#config.name, stopped));
      },
      onFailure: (error) => {
        if (error instanceof TopicRecreated) this.#failTopic(error.topic, error);
        else this.#failAll(error);
      },
      onTopicMissing: (topic) => this.#failTopic(topic, new TopicNotFound(this.#config.name, topic)),
      isTransient: (error) => isTransientReadError(this.#portError(error)),
      onUnreachable: (detail) => this.#onUnreachable(detail),
      onAnswered: () => {
        if (!this.#unreachable) return;
        this.#unreachable = false;
        this.#emitAll({ type: 'reachable' });
      },
    });
    this.#handlers = new LaneHandlers({
      loop: this.#loop,
      commits: this.#commits,
      flowOf: (topic) => this.#handlingFlow(topic),
      fail: (topic, error) => this.#failTopic(topic, error),
      closed: () => this.#closed,
    });
    this.#restarts = new LaneRestarts({
      config,
      groupId: this.#groupId,
      positions: coalescedPositionReads(consumer),
      loop: this.#loop,
      handlers: this.#handlers,
      commits: this.#commits,
      attachedNow: (topic) => this.#attached.get(topic),
      fail: (topic, error) => this.#failTopic(topic, error),
      portError: (error, topic) => this.#portError(error, topic),
      closed: () => this.#closed,
    });
  }

  /**
   * How many flows are attached or attaching: a reader without any leaves the group. A flow still attaching
   * counts, or another flow of the lane stopping meanwhile would close the reader under it.
   */
  get attachedCount(): number {
    return this.#attached.size + this.#attaching.size;
  }

  /**
   * Starts reading the attachment's topic: the partitions of it in this member's slots, told to its listener
   * as `assigned`. Rejects (and attaches nothing) when the topic cannot be read: TopicNotFound, …
   */
  async attach(attachment: LaneAttachment): Promise<void> {
    const { topic, topicId } = attachment.options;
    if (this.#attached.has(topic))
      throw new Error(`topic ${topic} is already attached to lane ${this.#groupId}`);
    this.#fetcher.expectTopicId(topic, topicId);
    this.#attaching.add(topic);
    trace('%s %s attaching', this.#groupId, topic);
    try {
      const partitionCount = await this.#joinedPartitionCountOf(topic);
      trace('%s %s joined; %d partitions, slots %d', this.#groupId, topic, partitionCount, this.#slots.size);
      // Its flow stopped while it waited (cancelAttach): nothing is attached.
      if (!this.#attaching.has(topic)) throw new Error(`the flow of ${topic} stopped while attaching`);
      const attached = this.#restarts.attached(attachment, partitionCount);
      this.#attached.set(topic, attached);
      this.#loop.setGroup(topic, attachment.options.shareGroup ?? NO_SHARE_GROUP);
      this.#restart(topic, attached);
    } finally {
      this.#attaching.delete(topic);
    }
  }

  /**
   * The flow of `topic` stopped while it attaches: it no longer holds the reader, so that a reader whose flows
   * all stopped while waiting to join (a killed member's session not yet expired) leaves the group at once
   * instead of after the join, which may come after the process has exited.
   */
  cancelAttach(topic: string): void {
    this.#attaching.delete(topic);
  }

  /**
   * Joins the group (once for all the attaches meanwhile; again after a failed join) and reads the topic's
   * partition count.
   */
  async #joinedPartitionCountOf(topic: string): Promise<number> {
    try {
      await this.#join.get();
    } catch (error) {
      throw this.#portError(error, topic);
    }
    return this.#partitionCountOf(topic, false);
  }

  /** Stops fetching the topic; its batches in hand finish and are committed (or are aborted after `graceMs`). */
  async detach(topic: string, graceMs: number): Promise<void> {
    const attached = this.#attached.get(topic);
    if (attached === undefined) return;
    this.#attached.delete(topic);
    this.#loop.assign(topic, []);
    this.#loop.setGroup(topic, null);
    await this.#handlers.settled(topic, graceMs, () => attached.attachment.abort());
    await this.#commits.flush();
  }

  /**
   * Reads the topic's partition count again; when it grew, the topic's partitions are restarted with the new
   * ones in this member's slots (only when some are). Rejects with a port error (TopicNotFound, …).
   */
  async partitionsAdded(topic: string): Promise<void> {
    if (!this.#attached.has(topic)) return;
    const partitionCount = await this.#partitionCountOf(topic, true);
    const attached = this.#attached.get(topic);
    if (attached === undefined || partitionCount <= attached.partitionCount) return;
    attached.partitionCount = partitionCount;
    const now = this.#partitionsHeld(topic, attached);
    if (now.join() !== attached.held.join()) this.#restart(topic, attached);
  }

  /**
   * The ends the lane's fetch answers told of `topic`'s partitions (LaneRecordSource.fetchedEndOffsets): none
   * while the topic is paused or not attached, or while the lane cannot reach the origin.
   */
  fetchedEndOffsets(topic: string): FetchedEndOffset[] {
    const attached = this.#attached.get(topic);
    if (attached === undefined || attached.paused || this.#unreachable) return [];
    return this.#loop.fetchedEnds(topic);
  }

  pause(topic: string): void {
    const attached = this.#attached.get(topic);
    if (attached === undefined || attached.paused) return;
    attached.paused = true;
    attached.restarts += 1;
    // What was fetched ahead is dropped, and read again from the committed offsets on resume.
    this.#loop.assign(topic, []);
  }

  resume(topic: string): void {
    const attached = this.#attached.get(topic);
    if (attached === undefined || !attached.paused) return;
    attached.paused = false;
    this.#restart(topic, attached);
  }

  /** Leaves the group, so that this member's slots move to the others at once, and closes the connections. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#loop.stop();
    await this.#commits.flush();
    await this.#membership.leave();
    await this.#pool.close().catch(() => undefined);
    await this.#restarts.close();
  }

  /** The topic's partition count in the cluster's metadata (`refresh`: asked again, not from the cache). */
  async #partitionCountOf(topic: string, refresh: boolean): Promise<number> {
    try {
      if (!refresh) return await this.#partitionCounts.request(topic);
      return partitionCountIn(await this.#fetcher.layout([topic], true), topic);
    } catch (error) {
      throw this.#portError(error, topic);
    }
  }

  /** The topic's partitions in this member's slots, ascending. */
  #partitionsHeld(topic: string, attached: AttachedTopic): readonly number[] {
    return partitionsToRead([{ topic, partitions: attached.partitionCount }], this.#slots).get(topic) ?? [];
  }

  #onSlots(slots: Set<number>): void {
    this.#slots = slots;
    for (const [topic, attached] of this.#attached) {
      const now = this.#partitionsHeld(topic, attached);
      const changes = lanePartitionChanges(new Map([[topic, attached.held]]), new Map([[topic, now]]));
      if (changes.start.size === 0 && changes.stop.size === 0) continue;
      this.#restart(topic, attached);
    }
  }

  /** (Re)starts the topic's partitions in this member's slots (lane-restarts.ts). */
  #restart(topic: string, attached: AttachedTopic): void {
    this.#restarts.restart(topic, attached, this.#partitionsHeld(topic, attached));
  }

  /** The topic's flow as the batches' handing out sees it: `holds` is asked once a handler resolved. */
  #handlingFlow(topic: string): HandlingFlow | undefined {
    const attached = this.#attached.get(topic);
    if (attached === undefined) return undefined;
    const { handler, signal } = attached.attachment;
    return {
      handler,
      signal,
      holds: (partition) => attached.held.includes(partition) && this.#slots.has(slotOf(topic, partition)),
    };
  }

  #failOutOfRange(topic: string, partition: number, requestedOffset: bigint): void {
    void partitionRange(this.#membership.consumer, topic, partition).then((range) =>
      this.#failTopic(
        topic,
        new OffsetOutOfRange(this.#config.name, {
          topic,
          partition,
          requestedOffset,
          earliest: range?.earliest ?? null,
          latest: range?.latest ?? null,
        }),
      ),
    );
  }

  /** Ends one flow's run() with `error` and lets its topic go; the other flows go on. */
  #failTopic(topic: string, error: unknown): void {
    const attached = this.#attached.get(topic);
    if (attached === undefined) return;
    this.#attached.delete(topic);
    this.#loop.assign(topic, []);
    this.#loop.setGroup(topic, null);
    attached.attachment.fail(error);
  }

  /**
   * A commit that named a topic deleted since (its last batch was written before the deletion) fails that
   * topic's flow only: the broker took the other topics' offsets. When no attached topic is missing, the deleted
   * one was detached already (its flow stopped, or failed, before its last offsets were committed): nothing
   * fails. Any other failure fails every flow.
   */
  async #onCommitFailed(error: unknown): Promise<void> {
    if (!reportsTopicMissing(error)) {
      this.#failAll(error);
      return;
    }
    const missing = await this.#fetcher.unknownTopics([...this.#attached.keys()]).catch(() => null);
    if (missing === null) this.#failAll(error);
    for (const topic of missing ?? []) this.#failTopic(topic, new TopicNotFound(this.#config.name, topic));
  }

  #failAll(error: unknown): void {
    const portError = this.#portError(error);
    for (const topic of [...this.#attached.keys()]) this.#failTopic(topic, portError);
  }

  #onUnreachable(detail: string): void {
    this.#unreachable = true;
    this.#emitAll({ type: 'unreachable', detail });
  }

  #emitAll(event: SourceEvent): void {
    for (const attached of this.#attached.values()) emit(attached.attachment, event);
  }

  #portError(error: unknown, topic?: string): KafkaError {
    return toPortError(this.#tlsAlerts.explain(error), this.#config.name, {
      operation: `read ${topic === undefined ? 'the lane' : `topic ${topic}`} as group ${this.#groupId}`,
      ...(topic === undefined ? {} : { topic }),
      groupId: this.#groupId,
    });
  }
}

/** The topic's partition count in `layout` (0 when the cluster did not list it). */
function partitionCountIn(layout: FetchLayout, topic: string): number {
  return layout.leaders.get(topic)?.length ?? 0;
}
