// Which of an origin topic's configs the destination copy gets. Only configs set on the topic itself are
// copied (not broker or static defaults, which belong to each cluster), minus the keys below.
import type { TopicConfigEntry as PortTopicConfigEntry, TopicConfigChanges } from '../kafka/port.js';

/**
 * Never copied, whatever the replication says. Each would make the copy wrong or fragile:
 * - min.insync.replicas, unclean.leader.election.enable: durability is the destination cluster's decision,
 *   and its replication factor may differ from the origin's.
 * - message.timestamp.type: the copy must keep the timestamps it is given (CreateTime); LogAppendTime on the
 *   destination would overwrite every origin timestamp with the mirror's write time.
 * - message.timestamp.difference.max.ms, message.timestamp.before.max.ms, message.timestamp.after.max.ms:
 *   records copied late (a mirror catching up, a new flow from earliest) would be rejected as too old.
 * - leader/follower.replication.throttled.replicas: lists of broker ids that only mean something on the origin.
 */
export const NEVER_COPIED_TOPIC_CONFIGS: readonly string[] = [
  'min.insync.replicas',
  'unclean.leader.election.enable',
  'message.timestamp.type',
  'message.timestamp.difference.max.ms',
  'message.timestamp.before.max.ms',
  'message.timestamp.after.max.ms',
  'leader.replication.throttled.replicas',
  'follower.replication.throttled.replicas',
];

/**
 * Set on every destination topic georep creates, whatever the origin's: the copy must take every timestamp the
 * origin holds, however old (a mirror catching up) or far ahead (an application's scheduled events). Since
 * Kafka 4.0 a broker refuses a record more than an hour ahead by default (log.message.timestamp.after.max.ms),
 * which would stop the flow at that record for good. Like the keys above, never compared afterwards.
 */
export const DESTINATION_TIMESTAMP_LIMITS: Readonly<Record<string, string>> = {
  'message.timestamp.after.max.ms': '9223372036854775807',
  'message.timestamp.before.max.ms': '9223372036854775807',
};

/** One config of a topic as a cluster reports it; `source: 'topic'` means set on the topic itself. */
export type TopicConfigEntry = Pick<PortTopicConfigEntry, 'name' | 'value' | 'source'>;

/** The configs the destination topic should have, from the origin topic's entries. Sorted by name. */
export function destinationTopicConfigs(
  originEntries: readonly TopicConfigEntry[],
  replicationExcludes: readonly string[],
): Record<string, string> {
  const excluded = new Set([...NEVER_COPIED_TOPIC_CONFIGS, ...replicationExcludes]);
  const configs: Record<string, string> = {};
  for (const entry of [...originEntries].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.source === 'topic' && entry.value !== null && !excluded.has(entry.name))
      configs[entry.name] = entry.value;
  }
  return configs;
}

export interface ConfigDrift {
  /** Keys whose value on the destination differs from (or is missing compared with) the desired one. */
  readonly changed: readonly { readonly name: string; readonly from: string | null; readonly to: string }[];
  /** Keys set on the destination topic that the origin no longer sets (excluded keys are left alone). */
  readonly removed: readonly string[];
}

/**
 * What differs between the desired configs and those set on the destination topic. Keys the operator
 * excluded are never reported as removed: a destination-side value for them is deliberate.
 */
export function topicConfigDrift(
  desired: Record<string, string>,
  destinationEntries: readonly TopicConfigEntry[],
  replicationExcludes: readonly string[],
): ConfigDrift {
  const excluded = new Set([...NEVER_COPIED_TOPIC_CONFIGS, ...replicationExcludes]);
  const actual = new Map(
    destinationEntries.filter((entry) => entry.source === 'topic').map((entry) => [entry.name, entry.value]),
  );
  const changed = Object.entries(desired)
    .filter(([name, value]) => actual.get(name) !== value)
    .map(([name, value]) => ({ name, from: actual.get(name) ?? null, to: value }));
  const removed = [...actual.keys()].filter((name) => !(name in desired) && !excluded.has(name)).sort();
  return { changed, removed };
}

/** A destination topic whose configs drifted from its origin's, and the incremental change that fixes it. */
export interface TopicConfigUpdate {
  readonly drift: ConfigDrift;
  /**
   * What to set and remove on the destination topic (IncrementalAlterConfigs): every other config, such as
   * an excluded key set only on the destination, stays as it is.
   */
  readonly changes: TopicConfigChanges;
}

/** What to write so the destination topic's configs follow the origin's; null when they already do. */
export function topicConfigUpdate(
  originEntries: readonly TopicConfigEntry[],
  destinationEntries: readonly TopicConfigEntry[],
  replicationExcludes: readonly string[],
): TopicConfigUpdate | null {
  const desired = destinationTopicConfigs(originEntries, replicationExcludes);
  const drift = topicConfigDrift(desired, destinationEntries, replicationExcludes);
  if (drift.changed.length === 0 && drift.removed.length === 0) return null;
  return {
    drift,
    changes: { set: new Map(drift.changed.map(({ name, to }) => [name, to])), remove: drift.removed },
  };
}

/** `retention.ms=86400000 (was 604800000), cleanup.policy removed`: for logs and error messages. */
export function describeConfigDrift(drift: ConfigDrift): string {
  return [
    ...drift.changed.map((change) => `${change.name}=${change.to} (was ${change.from ?? 'unset'})`),
    ...drift.removed.map((name) => `${name} unset (no longer set on the origin)`),
  ].join(', ');
}

/** A running flow whose destination topic configs are kept in step with its origin topic. */
export interface ConfigSyncedFlow {
  readonly key: string;
  readonly origin: string;
  readonly originTopic: string;
  readonly destination: string;
  readonly destinationTopic: string;
  readonly topicConfigExclude: readonly string[];
}

/** Topic configs as described in one batch per cluster: cluster name → topic name → entries. */
export type DescribedTopicConfigs = ReadonlyMap<string, ReadonlyMap<string, readonly TopicConfigEntry[]>>;

/**
 * The updates of one discovery round. A flow with a topic missing from the described configs is skipped:
 * its topic was deleted or could not be described this round, and the next round looks again.
 */
export function planTopicConfigSync<Flow extends ConfigSyncedFlow>(
  flows: readonly Flow[],
  described: DescribedTopicConfigs,
): { readonly flow: Flow; readonly update: TopicConfigUpdate }[] {
  return flows.flatMap((flow) => {
    const origin = described.get(flow.origin)?.get(flow.originTopic);
    const destination = described.get(flow.destination)?.get(flow.destinationTopic);
    if (origin === undefined || destination === undefined) return [];
    const update = topicConfigUpdate(origin, destination, flow.topicConfigExclude);
    return update === null ? [] : [{ flow, update }];
  });
}

/** The flows whose topic configs one discovery round compares, and where the next round goes on from. */
export interface ConfigSyncShare {
  readonly keys: readonly string[];
  /** The last key of this share: the next round starts after it. */
  readonly lastKey: string | null;
}

/**
 * The next `maxFlows` of `keys` (in key order) after `afterKey`, wrapping around: a round describes a bounded
 * share of the topics, so that at thousands of flows each round stays small and every flow still comes up within
 * ceil(flows / maxFlows) rounds. A key removed since is passed over; with at most maxFlows keys, all of them.
 */
export function nextConfigSyncShare(
  keys: readonly string[],
  afterKey: string | null,
  maxFlows: number,
): ConfigSyncShare {
  const sorted = [...keys].sort();
  if (sorted.length <= maxFlows) return { keys: sorted, lastKey: sorted.at(-1) ?? null };
  const start = afterKey === null ? 0 : sorted.findIndex((key) => key > afterKey);
  const from = start === -1 ? 0 : start;
  const share = [...sorted.slice(from, from + maxFlows)];
  if (share.length < maxFlows) share.push(...sorted.slice(0, maxFlows - share.length));
  return { keys: share, lastKey: share.at(-1) ?? null };
}
