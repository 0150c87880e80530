// What /status and `georep status` show of a flow, built when someone asks: the copying only updates the
// numbers it is made from (FlowProgress, MirroredTotal), never a status object per batch.
import type { FlowSpec } from '../plan/flow-spec.js';
import type { FlowProgress, PartitionProgress } from './flow-progress.js';
import type { FlowStateSnapshot } from './flow-state.js';

/** What a flow mirrored since the daemon started, over all its runs. */
export interface MirroredTotal {
  records: number;
  /** Bytes of keys, values and headers. */
  bytes: number;
  /** Bytes of the record batches as written to the destination (compressed). */
  batchBytes: number;
}

/** The last change of the destination topic's configs made to follow the origin's (discovery rounds). */
export interface TopicConfigSyncStatus {
  readonly atMs: number;
  /** What changed (`retention.ms=… (was …)`), or null when the change failed. */
  readonly applied: string | null;
  /** Why the change failed, or null. The flow keeps copying records either way. */
  readonly error: string | null;
}

/** What /status and `georep status` show of a flow. Offsets are strings: JSON has no 64-bit integers. */
export interface FlowStatus extends FlowStateSnapshot {
  readonly key: string;
  readonly replication: string;
  readonly origin: string;
  readonly originTopic: string;
  readonly destination: string;
  readonly destinationTopic: string;
  readonly recordsMirrored: number;
  readonly bytesMirrored: number;
  /** Bytes of record batches written to the destination, as sent (after compression). */
  readonly bytesWritten: number;
  /** Records mirrored per second over the last RATE_WINDOW_MS; 0 when no batch was copied in that time. */
  readonly recordsPerSecond: number;
  /** When the destination last acknowledged a batch of this flow, or null. */
  readonly lastBatchAtMs: number | null;
  /**
   * Records not yet mirrored, summed over the partitions this process holds; null while unknown: before it is
   * first measured, or when the origin's end offsets could not be refreshed for a while (see lagMeasuredAtMs).
   */
  readonly lag: number | null;
  /** When the oldest end offset behind `lag` was read from the origin; with `lag: null`, the last figure's age. */
  readonly lagMeasuredAtMs: number | null;
  /** How far behind the copy is in time (ProgressSummary.timeLagMs); null when unknown. */
  readonly timeLagMs: number | null;
  /** Failed attempts since the flow last ran cleanly. */
  readonly failedAttempts: number;
  readonly partitions: readonly PartitionProgress[];
  /** null until a discovery round changed (or failed to change) the destination topic's configs. */
  readonly topicConfigSync: TopicConfigSyncStatus | null;
  readonly spec: FlowSpec;
}

/** What a flow's status is made of, as the flow holds it now. */
export interface FlowStatusSources {
  readonly state: FlowStateSnapshot;
  readonly spec: FlowSpec;
  readonly mirrored: MirroredTotal;
  readonly progress: FlowProgress;
  readonly failedAttempts: number;
  readonly topicConfigSync: TopicConfigSyncStatus | null;
}

export function flowStatus(sources: FlowStatusSources): FlowStatus {
  const { spec, mirrored, progress } = sources;
  const summary = progress.summary();
  return {
    ...sources.state,
    key: spec.key,
    replication: spec.replication,
    origin: spec.origin,
    originTopic: spec.originTopic,
    destination: spec.destination,
    destinationTopic: spec.destinationTopic,
    recordsMirrored: mirrored.records,
    bytesMirrored: mirrored.bytes,
    bytesWritten: mirrored.batchBytes,
    recordsPerSecond: summary.recordsPerSecond,
    lastBatchAtMs: summary.lastBatchAtMs,
    lag: summary.lag,
    lagMeasuredAtMs: summary.lagMeasuredAtMs,
    timeLagMs: summary.timeLagMs,
    failedAttempts: sources.failedAttempts,
    partitions: progress.partitions(),
    topicConfigSync: sources.topicConfigSync,
    spec,
  };
}
