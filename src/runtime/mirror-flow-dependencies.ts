// What a mirror flow (mirror-flow.ts) is given: its clusters and their shared clients, the daemon's settings in
// force, and the state shared by every flow of the daemon or outliving any one of them (mirror-flow-factory.ts
// builds it).
import type { ConcurrencyLimit } from '../kafka/concurrency-limit.js';
import type { KafkaAdmin, KafkaCluster, RecordSink } from '../kafka/port.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { BackoffPolicy } from './backoff.js';
import type { BandwidthCaps } from './bandwidth-caps.js';
import type { MirroredTotal } from './flow-status.js';
import type { OffsetMapRecorder } from './offset-sync-store.js';

export interface MirrorFlowDependencies {
  /** The origin cluster, to attach this flow to its lane's reader. */
  readonly origin: Pick<KafkaCluster, 'createLaneSource'>;
  /** The destination cluster, for an exactly-once flow's own transactional producers. */
  readonly destination: KafkaCluster;
  /** Admin clients are shared by every flow of a cluster. */
  readonly originAdmin: KafkaAdmin;
  readonly destinationAdmin: KafkaAdmin;
  /** The destination's producer, shared by every flow that writes to that cluster. */
  readonly sink: RecordSink;
  /** Told where each record landed on the destination, for consumer-group offset translation. */
  readonly offsetMaps: OffsetMapRecorder;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly backoff: BackoffPolicy;
  /** How often a flow in a non-retriable error looks again whether someone fixed the cause. */
  readonly nonRetriableRecheckMs: number;
  /** How often the offset lag is refreshed: from the lane's fetch answers, else from the origin's end offsets. */
  readonly lagRefreshMs: number;
  /** How long stop() waits for batches already read to reach the destination before giving up on them. */
  readonly stopGraceMs: number;
  /**
   * How long the consumer group waits for a silent member (a crashed or killed georep process) before it
   * gives the member's partitions to another one: how long those partitions stand still.
   */
  readonly sessionTimeoutMs: number;
  /**
   * The flows (by storedProgressKey: lane group and origin topic) whose progress this process saw stored,
   * shared by every flow of the daemon. A re-created topic is told by its topic id (the lineage), so progress
   * that was there and is gone, with the same topics, was deleted. Kept in memory only: a georep started
   * afterwards cannot know.
   */
  readonly flowsWithStoredProgress: Set<string>;
  /**
   * Records and bytes mirrored per flow key, shared by every flow: a flow restarted by a reload counts on from
   * where its previous run stopped, as georep_records_mirrored_total does (both go when it stops for good).
   */
  readonly mirroredTotals: Map<string, MirroredTotal>;
  /** The replications' maxBytesPerSecond, shared by every flow of the daemon. */
  readonly bandwidthCaps: Pick<BandwidthCaps, 'of'>;
  /** Shared by every flow of the daemon: how many prepare their destination topic at once (mirror-flow-factory.ts). */
  readonly preparing: Pick<ConcurrencyLimit, 'run'>;
  readonly nowMs: () => number;
}
