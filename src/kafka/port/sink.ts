// The writing side of the port: records appended to exact partitions. Exactly-once delivery is an addition
// beside the plain sink: a TransactionalSink whose transactions hold the records and the flow's progress (stored
// on the destination, since a destination transaction cannot commit offsets to the origin's group), and the
// source option `resumePositionOf` (source.ts) to start from that progress.
import type { CompressionCodec, CompressionSetting } from '../../config/types.js';
import type { TopicId } from './admin.js';
import type { RecordToWrite } from './records.js';

export interface RecordSinkOptions {
  /** Codec of the batches written when a write names none (default `none`). */
  readonly compression?: CompressionCodec;
  /**
   * Records of one write are sent in requests of at most about this many bytes (uncompressed), in order,
   * each acknowledged before the next; keep it below the destination's max.message.bytes.
   */
  readonly maxRequestBytes?: number;
}

/**
 * Where consecutive records of one write landed: the records of one produce request get consecutive offsets,
 * so a write of n records reports one range per request it took, in the order of the records.
 */
export interface WrittenRange {
  readonly firstOffset: bigint;
  readonly recordCount: number;
  /**
   * Bytes of the record batch that carried these records, as sent (compressed, with its header): what the
   * destination stores and the link carries. Absent where the client behind the port cannot tell.
   */
  readonly batchBytes?: number;
  /** The records went as their origin batch, forwarded without encoding them again (OriginBatch). */
  readonly forwarded?: boolean;
}

/**
 * Told while a write is still being tried that a request of it failed on the network (refused, reset, closed)
 * or got no answer in time; `detail` names the broker and what happened.
 */
export type UnreachableListener = (detail: string) => void;

/** How one write is made; every field may be left out. */
export interface WriteOptions {
  /**
   * Overrides the sink's (RecordSinkOptions.compression) for this write: one sink serves every replication
   * that writes to its cluster, each with its own setting. `origin`: each record's own `compression`, records
   * of different codecs in separate batches.
   */
  readonly compression?: CompressionSetting;
  /**
   * The id the topic had when the flow checked it: a topic of that name with another id (it was deleted and
   * re-created since) is refused with TopicRecreated rather than written to.
   */
  readonly topicId?: TopicId;
  /** Told while the write is still being tried that the destination does not answer. */
  readonly onUnreachable?: UnreachableListener;
}

export interface RecordSink {
  /**
   * Appends `records` to `topic`'s partition `partition`, in order, each with exactly its key, value, headers
   * and timestamp. Resolves once the destination acknowledged all of them (acks=all, idempotent producer),
   * so retries inside the client never duplicate or reorder, with the offsets they got (the flow maps origin
   * offsets to destination offsets with them, for consumer-group translation). Concurrent writes to the same
   * partition are queued; different partitions proceed in parallel. Never creates a topic.
   * @throws TopicNotFound, TopicRecreated, RecordTooLarge, AuthorizationFailed, Retriable, …
   */
  write(
    topic: string,
    partition: number,
    records: readonly RecordToWrite[],
    options?: WriteOptions,
  ): Promise<readonly WrittenRange[]>;
  /** Waits for writes in progress, then closes the connections. */
  close(): Promise<void>;
}

// Exactly-once: records and the partition's progress committed together in one destination transaction.

export interface TransactionalSinkOptions extends RecordSinkOptions {
  /** The one topic this sink writes (one exactly-once flow's destination topic). */
  readonly topic: string;
  /** The id `topic` had when the flow checked it: as RecordSink.write's `options.topicId`. */
  readonly topicId?: TopicId;
  /**
   * Partition p is written by its own transactional producer, `<transactionalIdPrefix>.<p>`: whoever takes
   * the partition over (another process after a rebalance, or this flow restarted) fences exactly the
   * producer that wrote it before.
   */
  readonly transactionalIdPrefix: string;
  /**
   * The destination consumer group whose committed offsets hold the progress: for (topic, p), the next
   * origin offset to copy. No consumer ever joins it; only transactions commit to it.
   */
  readonly progressGroupId: string;
  /**
   * Upgrading to one progress group per lane (docs/design-shared-transport.md): the flow's old progress group,
   * read by claim() for a partition that has no progress in progressGroupId yet. Its transactional ids are this
   * sink's, so the claim has fenced the old writer and its progress is final. The old group is left as it was.
   */
  readonly previousProgressGroupId?: string;
}

/** How one transactional write is made: `compression` and `onUnreachable` as in WriteOptions. */
export type TransactionalWriteOptions = Pick<WriteOptions, 'compression' | 'onUnreachable'>;

export interface TransactionalSink {
  /**
   * Takes partition `partition` over: fences every earlier producer with its transactional id and waits
   * until that producer's open transaction is aborted, then returns the progress stored for the partition
   * (the next origin offset to copy), or null when none was ever stored. Must come before write().
   * @throws AuthorizationFailed, Retriable, …
   */
  claim(partition: number): Promise<bigint | null>;
  /**
   * In one transaction: appends `records` to the partition (exactly as RecordSink.write does) and stores
   * `nextOriginOffset` as its progress. Resolves once the transaction committed, with the offsets the
   * records got (as RecordSink.write reports them); on a rejection nothing of it is visible to read_committed
   * consumers, unless the destination stopped answering after it was asked to commit. Writes to one partition
   * must not overlap.
   *
   * The write after a failed one claims the partition again first, which settles the failed transaction: when
   * it committed after all and this write stores the same progress (it is the same write, tried again), it
   * resolves with the offsets the records got then and writes nothing; when it aborted, this write goes ahead.
   * So a write the destination did not answer can be tried again until it is acknowledged, without loss or
   * duplicate. When the progress is neither (another process wrote the partition since) it rejects with
   * ClaimLost: whoever reads on must claim the partition again and start from its progress.
   * @throws TopicNotFound, RecordTooLarge, ClaimLost (fenced by a newer claim, …), Retriable, …
   */
  write(
    partition: number,
    records: readonly RecordToWrite[],
    nextOriginOffset: bigint,
    options?: TransactionalWriteOptions,
  ): Promise<readonly WrittenRange[]>;
  /** Closes the producers of partitions this process no longer holds. */
  release(partitions: readonly number[]): Promise<void>;
  /** Closes every producer; an open transaction is aborted by the next claim of its partition. */
  close(): Promise<void>;
}
