// A flow is one origin topic mirrored into one destination topic. FlowSpec is its desired state as plain
// data: what the planner compares and what the supervisor starts.
import { createHash } from 'node:crypto';
import type {
  ClusterConfig,
  CompressionSetting,
  DeliveryGuarantee,
  LoopPrevention,
  OriginTopicDeletedAction,
  StartPosition,
} from '../config/types.js';

/**
 * Settings that, when any of them changes, require the flow to be stopped and started again.
 * Plain values (strings, numbers, a sorted list) so that a plan can show exactly which one changed.
 */
export interface FlowRestartSettings {
  /** Digest of the origin cluster's connection settings (bootstrap, TLS, SASL, timeouts). */
  readonly originConnection: string;
  /** Digest of the destination cluster's connection settings. */
  readonly destinationConnection: string;
  /**
   * How many times this process saw the origin cluster's password or private key change (0 at start). A
   * count rather than a digest: nothing shown in /status may be derived from a secret.
   */
  readonly originCredentials: number;
  /** The same for the destination cluster. */
  readonly destinationCredentials: number;
  readonly delivery: DeliveryGuarantee;
  /** Codec of the batches written; `origin`: each record's origin batch codec. */
  readonly compression: CompressionSetting;
  readonly loopPrevention: LoopPrevention;
  /** 'auto' means min(3, the destination's broker count). */
  readonly replicationFactor: number | 'auto';
  /** Topic configs never copied; sorted, so that reordering the list in the file changes nothing. */
  readonly topicConfigExclude: readonly string[];
  /**
   * The flow's own consumer group from before lanes: where an upgraded flow's progress is read once when its
   * lane has none, and the name its lineage and exactly-once transactional ids are derived from.
   */
  readonly consumerGroupId: string;
  /**
   * The consumer group of the flow's lane (src/plan/lanes.ts), shared by every flow of one origin into one
   * destination under one naming: it stores this flow's progress; another lane is other progress.
   */
  readonly laneGroupId: string;
}

export interface FlowSpec {
  /** Unique and stable: `<origin>/<originTopic> -> <destination>/<destinationTopic>`. */
  readonly key: string;
  /** The replication (by name) that asked for this flow. Renaming it does not restart the flow. */
  readonly replication: string;
  readonly origin: string;
  readonly originTopic: string;
  readonly destination: string;
  readonly destinationTopic: string;
  /** Partition count of the origin topic when it was last listed. */
  readonly partitions: number;
  readonly paused: boolean;
  /**
   * Where the flow begins when its consumer group has no stored progress. It only matters for a brand-new
   * flow, so changing it does not restart a running one.
   */
  readonly start: StartPosition;
  /** What happens to the destination topic when the origin topic is deleted; changes in place. */
  readonly onOriginTopicDeleted: OriginTopicDeletedAction;
  /**
   * The replication's cap on bytes written per second, shared by its flows (null: none). Changes in place: the
   * flows keep running and write at the new rate (bandwidth-caps.ts).
   */
  readonly maxBytesPerSecond: number | null;
  readonly restartSettings: FlowRestartSettings;
}

export function flowKey(origin: string, originTopic: string, destination: string, destinationTopic: string) {
  return `${origin}/${originTopic} -> ${destination}/${destinationTopic}`;
}

/**
 * The consumer group id of a flow. It names both ends, so a different destination topic (another naming
 * policy) starts with fresh progress instead of inheriting offsets that belong to another copy. It does not
 * name the replication, so renaming a replication keeps the progress.
 */
export function consumerGroupId(
  groupIdPrefix: string,
  origin: string,
  originTopic: string,
  destination: string,
  destinationTopic: string,
): string {
  return `${groupIdPrefix}.${origin}.${destination}.${originTopic}.${destinationTopic}`;
}

/**
 * A digest of everything that decides how georep connects to a cluster, except the secrets (password,
 * private key): the digest is shown in /status and compared by `georep plan` in another process, and any
 * value computed from a password alone lets whoever reads it test guesses offline. Secret changes are
 * counted by the daemon instead (credential-changes.ts).
 */
export function clusterConnectionDigest(cluster: ClusterConfig): string {
  const material = {
    bootstrap: cluster.bootstrap,
    tls: cluster.tls && {
      ca: cluster.tls.ca === null ? null : sha256(cluster.tls.ca),
      cert: cluster.tls.cert === null ? null : sha256(cluster.tls.cert),
      key: cluster.tls.key !== null,
      rejectUnauthorized: cluster.tls.rejectUnauthorized,
      servername: cluster.tls.servername,
    },
    sasl: cluster.sasl && {
      mechanism: cluster.sasl.mechanism,
      username: cluster.sasl.username,
    },
    connectionTimeoutMs: cluster.connectionTimeoutMs,
    requestTimeoutMs: cluster.requestTimeoutMs,
  };
  return sha256(JSON.stringify(material)).slice(0, 16);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** An origin topic that a replication selects but that cannot be mirrored; reported, never silently dropped. */
export interface RejectedFlow {
  readonly replication: string;
  readonly origin: string;
  readonly originTopic: string;
  readonly destination: string;
  readonly destinationTopic: string;
  readonly reason: string;
}

/**
 * Where an operator finds a flow's progress on the origin, for advice to move or delete it: its topic's offsets
 * in the lane's group, and those of the flow's group from before lanes, which count while the lane has none. The
 * lane's group has members while any flow of the lane runs, and Kafka changes offsets only in a group without.
 */
export function progressOnOrigin(
  flow: Pick<FlowSpec, 'origin' | 'originTopic'> & {
    readonly restartSettings: Pick<FlowRestartSettings, 'laneGroupId' | 'consumerGroupId'>;
  },
): string {
  const { laneGroupId, consumerGroupId } = flow.restartSettings;
  return (
    `the offsets of ${flow.originTopic} in consumer group ${laneGroupId} on ${flow.origin} (and in ` +
    `${consumerGroupId}, the flow's group before lanes, if it still exists; Kafka changes them only while no ` +
    'georep process runs that lane)'
  );
}

/**
 * Exactly-once flows store their progress on the destination, as the committed offsets of this consumer group
 * (no consumer ever joins it): `<lane group>.eos`, keyed by destination topic and partition (unique within a
 * lane); before lanes, each flow had its own, `<flow group>.eos`, still read when the lane's has none.
 */
export function progressGroupId(groupId: string): string {
  return `${groupId}.eos`;
}

/** Exactly-once flows write partition p with transactional id `<this>.<p>`. */
export function transactionalIdPrefix(flowConsumerGroupId: string): string {
  return `${flowConsumerGroupId}.eos`;
}
