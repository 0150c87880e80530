// The reading side of the port: one topic read as a member of a consumer group, batch by batch, offsets
// committed only after the handler resolved.
import type { TopicId } from './admin.js';
import type { ConsumedRecord } from './records.js';

export type StartPosition = 'earliest' | 'latest';

export interface RecordSourceOptions {
  readonly topic: string;
  /**
   * The consumer group. Every process that runs a source with the same group shares the topic's
   * partitions; Kafka assigns them and moves them when a member comes or goes.
   */
  readonly groupId: string;
  /** Where a partition starts when the group has no committed offset for it. */
  readonly startPosition: StartPosition;
  /** Upper bound of one fetch per partition; with maxBytesPerFetch it bounds the memory a source holds. */
  readonly maxBytesPerPartition?: number;
  readonly maxBytesPerFetch?: number;
  /** How many partitions' batches may be in the handler at the same time (one batch per partition at most). */
  readonly partitionsInParallel?: number;
  /** A member that sends no heartbeat for this long is removed from the group. */
  readonly sessionTimeoutMs?: number;
  /**
   * Exactly-once: where a partition really resumes, when its progress is stored somewhere else than in the
   * group (on the destination, inside its transactions). Asked once per partition after every assignment,
   * before that partition's first batch is handed on; a position it returns wins over the group's committed
   * offset, which then only shows lag. null: the partition starts as without this option (the group's
   * committed offset, else `startPosition`). A rejection stops the source like a failing handler.
   */
  readonly resumePositionOf?: (partition: number) => Promise<bigint | null>;
  /**
   * The id the topic had when the flow checked it. When the topic under this name has another id (it was
   * deleted and re-created since), run() rejects with TopicRecreated instead of reading the new topic from
   * offsets that belonged to the old one. Ignored by clients that cannot see topic ids.
   */
  readonly topicId?: TopicId;
}

/** Consecutive records of one partition, in offset order. */
export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  /** Never empty. */
  readonly records: readonly ConsumedRecord[];
  /**
   * The offset the group commits once the handler resolved: past the last record, and past any transaction
   * markers or aborted records that follow it.
   */
  readonly nextOffset: bigint;
  /** The partition's high watermark when the batch was fetched. */
  readonly highWatermark: bigint;
}

/**
 * Takes a batch to its destination. It resolves only once the destination acknowledged every record: the
 * source commits `nextOffset` after that and never before, so a crash can repeat records but never lose them.
 * A rejection stops the source, which then rejects `run()` with that same error. `signal` aborts when the
 * source is stopped and gives up on batches still in hand.
 */
export type BatchHandler = (batch: ConsumedBatch, signal: AbortSignal) => Promise<void>;

export type SourceEvent =
  /** The group (re)assigned partitions; `partitions` is this member's complete new set, possibly empty. */
  | { readonly type: 'assigned'; readonly partitions: readonly number[] }
  /** The group started rebalancing; an `assigned` event follows when it is done. */
  | { readonly type: 'rebalancing' }
  /** Offsets were committed to the group. */
  | {
      readonly type: 'committed';
      readonly offsets: readonly { readonly partition: number; readonly offset: bigint }[];
    }
  /**
   * A fetch (or the metadata lookup before one) failed on the network or got no answer in time; `detail` says
   * which broker and what happened. The source keeps trying: `reachable` follows when a fetch is answered again.
   */
  | { readonly type: 'unreachable'; readonly detail: string }
  | { readonly type: 'reachable' };

export type SourceListener = (event: SourceEvent) => void;

export interface RecordSource {
  /**
   * Joins the group and hands batches to `handler` until stop() is called or something fails. Fetching
   * waits for the handler (a slow destination slows reading; memory stays bounded by the fetch sizes).
   * Resolves after stop(); rejects with the error that stopped it otherwise: the handler's own error,
   * OffsetOutOfRange (the origin no longer has the records the group is due to read next), TopicNotFound,
   * AuthorizationFailed, AuthenticationFailed, TlsFailed, or Retriable (the client gave up on a transient
   * problem). A source may instead keep trying through a cluster that does not answer, reporting it with
   * `unreachable` events (the @platformatic/kafka source does). Can be called once.
   */
  run(handler: BatchHandler, listener?: SourceListener): Promise<void>;
  /** Stops fetching; batches already in the handler finish. */
  pause(): void;
  resume(): void;
  /**
   * Stops fetching, waits for the batches in the handler and commits their offsets, then leaves the group so
   * its partitions move to other members at once. If the handler has not finished after `inFlightGraceMs`,
   * its signal is aborted and its batches are not committed (they are read again later).
   */
  stop(options?: { readonly inFlightGraceMs?: number }): Promise<void>;
}

/**
 * A flow's reading as part of its lane (docs/design-shared-transport.md): every flow of one origin into one
 * destination under one naming shares one consumer group, membership and fetcher per process. The source it
 * gives is a RecordSource like any other, except that run() and stop() attach and detach the topic without
 * rebalancing the group, and `assigned` names the topic's partitions in this process's slots.
 */
export interface LaneSourceOptions {
  readonly topic: string;
  /** The lane's consumer group (src/plan/lanes.ts); every flow of the lane names the same. */
  readonly laneGroupId: string;
  /**
   * The flow's share group, its replication: a lane's fetch budget and handlers are shared out between its groups,
   * so that one replication's slow flows (waiting for its maxBytesPerSecond) do not hold up another's.
   */
  readonly shareGroup?: string;
  readonly startPosition: StartPosition;
  /** As RecordSourceOptions; the first flow of the lane in a process sets the lane's membership's. */
  readonly sessionTimeoutMs?: number;
  readonly resumePositionOf?: (partition: number) => Promise<bigint | null>;
  readonly topicId?: TopicId;
  /**
   * Upgrading from one group per flow: the flow's old group. A partition the lane's group has no offset for
   * starts at the old group's committed offset, when it has one, before falling back to startPosition. The old
   * group is read once per run() and left as it was.
   */
  readonly previousGroupId?: string;
}

/** A flow's source attached to its lane (KafkaCluster.createLaneSource). */
export interface LaneRecordSource extends RecordSource {
  /**
   * The origin topic grew: reads its partition count again and starts reading the new partitions in this
   * process's slots (an `assigned` event names the topic's new set), from the lane's committed offsets, else
   * startPosition. Until then an attachment reads the partitions the topic had when it attached, so that the
   * flow gives the destination the new partitions first. The lane's other flows are not touched.
   */
  partitionsAdded(): Promise<void>;
  /**
   * What the lane's fetching knows now of the ends of the topic's partitions, without asking the origin: each
   * partition it fetches for this flow, with the last stable offset the origin last told (what partitionOffsets
   * gives as `latest`: the end under read_committed) and how long ago the origin last answered a fetch of it.
   * A partition the lane does not fetch now is left out: paused, not yet attached or started, one whose batches
   * wait for a slow handler, one whose fetches fail. Synchronous and cheap: a flow may ask every few seconds.
   */
  fetchedEndOffsets(): readonly FetchedEndOffset[];
}

/** A partition's end as the lane's last fetch answer for it told (LaneRecordSource.fetchedEndOffsets). */
export interface FetchedEndOffset {
  readonly partition: number;
  readonly lastStableOffset: bigint;
  /** How long ago the origin last answered a fetch of this partition; the offset was its end then. */
  readonly ageMs: number;
}
