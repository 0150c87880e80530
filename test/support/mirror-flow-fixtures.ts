// A flow spec and flow dependencies for unit tests of MirrorFlow: `orders` of cluster `a` mirrored into
// `a.orders` of cluster `b`, with retries and rechecks after 10 ms and a logger that prints nothing.

import { ConcurrencyLimit } from '../../src/kafka/concurrency-limit.js';
import type { KafkaAdmin, TopicDescription } from '../../src/kafka/port.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import type { FlowSpec } from '../../src/plan/flow-spec.js';
import { flowKey } from '../../src/plan/flow-spec.js';
import type { MirrorFlowDependencies } from '../../src/runtime/mirror-flow.js';
import { OffsetSyncStore } from '../../src/runtime/offset-sync-store.js';

export const ordersFlowSpec: FlowSpec = {
  key: flowKey('a', 'orders', 'b', 'a.orders'),
  replication: 'r',
  origin: 'a',
  originTopic: 'orders',
  destination: 'b',
  destinationTopic: 'a.orders',
  partitions: 1,
  paused: false,
  start: 'earliest',
  onOriginTopicDeleted: 'keep',
  maxBytesPerSecond: null,
  restartSettings: {
    originConnection: 'x',
    destinationConnection: 'y',
    originCredentials: 0,
    destinationCredentials: 0,
    delivery: 'at-least-once',
    compression: 'origin',
    loopPrevention: 'none',
    replicationFactor: 'auto',
    topicConfigExclude: [],
    consumerGroupId: 'georep.a.b.orders.a.orders',
    laneGroupId: 'georep.a.b.prefix',
  },
};

export function quickFlowDependencies(
  clusters: Pick<
    MirrorFlowDependencies,
    'origin' | 'destination' | 'originAdmin' | 'destinationAdmin' | 'sink'
  >,
): MirrorFlowDependencies {
  return {
    ...clusters,
    offsetMaps: new OffsetSyncStore(),
    logger: createLogger('fatal', { write: () => undefined }),
    metrics: new Metrics(),
    backoff: { initialDelayMs: 10, maxDelayMs: 10 },
    nonRetriableRecheckMs: 10,
    lagRefreshMs: 60_000,
    stopGraceMs: 1000,
    sessionTimeoutMs: 10_000,
    flowsWithStoredProgress: new Set(),
    mirroredTotals: new Map(),
    bandwidthCaps: { of: () => null },
    preparing: new ConcurrencyLimit(1),
    nowMs: Date.now,
  };
}

/** An admin that sees one topic (of one partition unless told) on either side, with no progress stored. */
export function oneTopicAdmin(topic: string, partitionCount = 1): KafkaAdmin {
  const description: TopicDescription = {
    name: topic,
    topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
    partitions: Array.from({ length: partitionCount }, (_, partition) => ({
      partition,
      leader: 1,
      replicas: [1],
      inSyncReplicas: [1],
    })),
    configs: [],
  };
  const unused = () => Promise.reject(new Error('not used by this test'));
  return {
    listTopics: unused,
    describeTopic: async () => description,
    describeTopicConfigs: unused,
    deleteTopic: unused,
    createTopic: unused,
    createPartitions: unused,
    alterTopicConfigs: unused,
    brokerCount: async () => 1,
    partitionOffsets: async () => [{ partition: 0, earliest: 0n, latest: 0n }],
    listConsumerGroups: unused,
    describeConsumerGroups: unused,
    committedOffsets: async () => [],
    setCommittedOffsets: async () => undefined, // the flow stores its topic lineage
    deleteConsumerGroup: unused,
    close: async () => undefined,
  };
}
