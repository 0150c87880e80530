// Which of an origin topic's configs the destination copy gets. Only configs set on the topic itself are
// copied (not broker or static defaults, which belong to each cluster), minus the keys below.
import type { TopicConfigEntry as PortTopicConfigEntry } from '../kafka/port.js';

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
