// Reading given offsets without a consumer group: what `georep verify` needs to compare two topics without
// changing anything on either cluster.
import type { ConsumedRecord } from './records.js';

/** What one read of a partition returned. */
export interface PartitionReadResult {
  /** Records at or after the offset asked for, in offset order; possibly none (only markers or aborted records). */
  readonly records: readonly ConsumedRecord[];
  /** Where the next read starts: past the last batch returned, transaction markers and aborted records included. */
  readonly nextOffset: bigint;
}

/**
 * Reads explicit partitions at explicit offsets, read_committed, and nothing else: no consumer group is joined
 * and no offset is committed, so a reader changes nothing on the cluster it reads.
 */
export interface PartitionReader {
  /**
   * One fetch of `topic`'s partition `partition` from `offset`, at most about `maxBytes` (a larger first batch
   * still comes whole). Aborted records are left out and control records are not records.
   * @throws OffsetOutOfRange (the partition no longer, or not yet, holds `offset`), TopicNotFound, …
   */
  read(topic: string, partition: number, offset: bigint, maxBytes: number): Promise<PartitionReadResult>;
  close(): Promise<void>;
}
