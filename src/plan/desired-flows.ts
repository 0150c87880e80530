// Desired flows: which origin topics go to which destination topics, computed from the config and the
// origin clusters' topic listings. Pure: the caller lists topics (and, for an origin it cannot reach right
// now, passes the last listing it had, so that a network blip does not stop that origin's flows).
import { destinationTopicName } from '../config/naming.js';
import { isNeverMirrored, isValidTopicName, selectsName } from '../config/patterns.js';
import type { Config, ReplicationConfig } from '../config/types.js';
import {
  clusterConnectionDigest,
  consumerGroupId,
  type FlowRestartSettings,
  type FlowSpec,
  flowKey,
  type RejectedFlow,
} from './flow-spec.js';
import { laneGroupId, laneOf } from './lanes.js';
import { runToEnd, type Steps } from './steps.js';

export interface TopicListing {
  readonly name: string;
  readonly partitions: number;
}

export interface DesiredFlows {
  readonly flows: readonly FlowSpec[];
  readonly rejected: readonly RejectedFlow[];
}

/** Topics matched against one replication's patterns between two steps of desiredFlowSteps. */
const TOPICS_PER_STEP = 512;

/**
 * `credentialChanges` counts, per cluster, how often its secrets changed in the daemon (see
 * FlowRestartSettings.originCredentials); a cluster not in it counts 0.
 */
export function desiredFlows(
  config: Config,
  listings: ReadonlyMap<string, readonly TopicListing[]>,
  credentialChanges: ReadonlyMap<string, number> = new Map(),
): DesiredFlows {
  return runToEnd(desiredFlowSteps(config, listings, credentialChanges));
}

/**
 * desiredFlows in steps (plan/steps.ts): one per replication, and one per TOPICS_PER_STEP topics it is
 * matched against. 10,000 replications over an origin of a few thousand topics are tens of millions of
 * pattern matches: seconds that the daemon runs in slices.
 */
export function* desiredFlowSteps(
  config: Config,
  listings: ReadonlyMap<string, readonly TopicListing[]>,
  credentialChanges: ReadonlyMap<string, number> = new Map(),
): Steps<DesiredFlows> {
  const flows: FlowSpec[] = [];
  const rejected: RejectedFlow[] = [];
  // Which flow already writes a destination topic, so that a second writer is rejected (config order wins).
  const writerOf = new Map<string, FlowSpec>();
  const clusterNames = [...config.clusters.keys()];
  const sharedSettings = new Map<ReplicationConfig, Map<string, SharedRestartSettings>>();
  const sharedSettingsOf = (replication: ReplicationConfig, destination: string) => {
    const byDestination = sharedSettings.get(replication) ?? new Map<string, SharedRestartSettings>();
    sharedSettings.set(replication, byDestination);
    let shared = byDestination.get(destination);
    if (shared === undefined) {
      shared = sharedRestartSettings(config, replication, destination, credentialChanges);
      byDestination.set(destination, shared);
    }
    return shared;
  };

  // Where each listed topic stands in its origin's listing, for replications that name topics literally.
  const positionsByOrigin = new Map<string, Map<string, number>>();
  const positionsIn = (origin: string, topics: readonly TopicListing[]) => {
    let positions = positionsByOrigin.get(origin);
    if (positions === undefined) {
      positions = new Map(topics.map((topic, index) => [topic.name, index]));
      positionsByOrigin.set(origin, positions);
    }
    return positions;
  };

  for (const replication of config.replications) {
    yield;
    const listed = listings.get(replication.origin) ?? [];
    const topics = replication.topics.include.every((pattern) => pattern.kind === 'literal')
      ? literallyIncluded(replication, listed, positionsIn(replication.origin, listed))
      : listed;
    let topicsSinceStep = 0;
    for (const topic of topics) {
      if (++topicsSinceStep === TOPICS_PER_STEP) {
        topicsSinceStep = 0;
        yield;
      }
      if (isNeverMirrored(topic.name, config.daemon) || !selectsName(replication.topics, topic.name))
        continue;
      for (const destination of replication.destinations) {
        const destinationTopic = destinationTopicName(
          replication.naming,
          { origin: replication.origin, destination },
          topic.name,
        );
        const candidate = {
          replication: replication.name,
          origin: replication.origin,
          originTopic: topic.name,
        };
        if (replication.naming.kind === 'prefix') {
          const chain = prefixOriginChain(topic.name, replication.naming.separator, clusterNames);
          // With prefix names the topic's name tells where it came from; sending it back would loop.
          if (chain.includes(destination)) continue;
        }
        if (!isValidTopicName(destinationTopic)) {
          rejected.push({
            ...candidate,
            destination,
            destinationTopic,
            reason:
              'the destination topic name is not a legal Kafka topic name (letters, digits, ".", "_", "-"; at most 249)',
          });
          continue;
        }
        const writerKey = `${destination}/${destinationTopic}`;
        const existingWriter = writerOf.get(writerKey);
        if (existingWriter !== undefined) {
          rejected.push({
            ...candidate,
            destination,
            destinationTopic,
            reason: `replication "${existingWriter.replication}" already writes this topic from ${existingWriter.origin}/${existingWriter.originTopic}`,
          });
          continue;
        }
        const flow = flowSpec(
          config,
          replication,
          topic,
          destination,
          destinationTopic,
          sharedSettingsOf(replication, destination),
        );
        writerOf.set(writerKey, flow);
        flows.push(flow);
      }
    }
  }
  return { flows, rejected };
}

/**
 * The listed topics that a replication whose includes are all literal names can select, in listing order:
 * a lookup per name instead of a match per listed topic (10,000 such replications against an origin of
 * thousands of topics would otherwise be tens of millions of comparisons). Excludes are applied later.
 */
function literallyIncluded(
  replication: ReplicationConfig,
  listed: readonly TopicListing[],
  positions: ReadonlyMap<string, number>,
): TopicListing[] {
  const found = new Set<number>();
  for (const pattern of replication.topics.include) {
    const position = positions.get(pattern.source);
    if (position !== undefined) found.add(position);
  }
  return [...found].sort((a, b) => a - b).map((position) => listed[position]!);
}

/**
 * The clusters a prefix-named topic passed through, read from its name: `frankfurt.london.orders` with the
 * clusters london and frankfurt gives [frankfurt, london]. A name whose first segment is not a cluster name
 * ends the chain.
 */
export function prefixOriginChain(
  topic: string,
  separator: string,
  clusterNames: readonly string[],
): string[] {
  const chain: string[] = [];
  let rest = topic;
  for (;;) {
    const cluster = clusterNames.find((name) => rest.startsWith(`${name}${separator}`));
    if (cluster === undefined) return chain;
    chain.push(cluster);
    rest = rest.slice(cluster.length + separator.length);
  }
}

/** The restart settings every flow of one replication into one destination has: the flow's group excepted. */
type SharedRestartSettings = Omit<FlowRestartSettings, 'consumerGroupId'>;

/**
 * Computed once per replication and destination, not once per topic: at each discovery round, 10,000 flows would
 * otherwise hash the clusters' connection settings 20,000 times, and each running flow would hold copies of the
 * same digests and lists.
 */
function sharedRestartSettings(
  config: Config,
  replication: ReplicationConfig,
  destination: string,
  credentialChanges: ReadonlyMap<string, number>,
): SharedRestartSettings {
  const originCluster = config.clusters.get(replication.origin);
  const destinationCluster = config.clusters.get(destination);
  if (originCluster === undefined || destinationCluster === undefined) {
    // The loader rejects a config that names an unknown cluster, so this is a bug, not bad input.
    throw new Error(`replication "${replication.name}" names a cluster that is not configured`);
  }
  return {
    originConnection: clusterConnectionDigest(originCluster),
    destinationConnection: clusterConnectionDigest(destinationCluster),
    originCredentials: credentialChanges.get(replication.origin) ?? 0,
    destinationCredentials: credentialChanges.get(destination) ?? 0,
    delivery: replication.delivery,
    compression: replication.compression,
    loopPrevention: replication.loopPrevention,
    replicationFactor: replication.replicationFactor ?? 'auto',
    topicConfigExclude: [...replication.topicConfigExclude].sort(),
    laneGroupId: laneGroupId(
      config.daemon.groupIdPrefix,
      laneOf(replication.naming, { origin: replication.origin, destination }),
    ),
  };
}

function flowSpec(
  config: Config,
  replication: ReplicationConfig,
  topic: TopicListing,
  destination: string,
  destinationTopic: string,
  shared: SharedRestartSettings,
): FlowSpec {
  // In FlowRestartSettings' order, which is the order `georep plan` lists changed settings in.
  const { laneGroupId, ...beforeGroups } = shared;
  return {
    key: flowKey(replication.origin, topic.name, destination, destinationTopic),
    replication: replication.name,
    origin: replication.origin,
    originTopic: topic.name,
    destination,
    destinationTopic,
    partitions: topic.partitions,
    paused: replication.paused,
    start: replication.start,
    onOriginTopicDeleted: replication.onOriginTopicDeleted,
    maxBytesPerSecond: replication.maxBytesPerSecond,
    restartSettings: {
      ...beforeGroups,
      consumerGroupId: consumerGroupId(
        config.daemon.groupIdPrefix,
        replication.origin,
        topic.name,
        destination,
        destinationTopic,
      ),
      laneGroupId,
    },
  };
}
