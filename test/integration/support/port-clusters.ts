// Glue between the harness's test clusters and the Kafka port: a ClusterConfig for a test cluster and
// georep's adapter (@platformatic/kafka) on it.
import type { TestCluster } from '../../../harness/test-clusters.js';
import type { ClusterConfig } from '../../../src/config/types.js';
import { createPlatformaticCluster } from '../../../src/kafka/platformatic/cluster.js';
import type { KafkaCluster } from '../../../src/kafka/port.js';

export function clusterConfig(cluster: TestCluster): ClusterConfig {
  return {
    name: cluster.name,
    bootstrap: cluster.brokers,
    tls: null,
    sasl: null,
    connectionTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    position: { file: 'test', line: 1, col: 1 },
  };
}

/** georep's adapter on a test cluster. */
export function portOn(cluster: TestCluster): KafkaCluster {
  return createPlatformaticCluster(clusterConfig(cluster), () => {});
}
