// Glue between the harness's test clusters and the Kafka port: a ClusterConfig for a test cluster and the
// adapter GEOREP_KAFKA_CLIENT chooses (src/kafka/client.ts) on it.
import type { TestCluster } from '../../../harness/test-clusters.js';
import type { ClusterConfig } from '../../../src/config/types.js';
import { clusterFactory } from '../../../src/kafka/client.js';
import type { KafkaCluster, KafkaLogEntry } from '../../../src/kafka/port.js';

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

/**
 * The chosen adapter on a test cluster. Its warnings and errors go to stderr when GEOREP_TEST_VERBOSE is set
 * (kafkajs logs expected conditions, such as a missing topic, as errors).
 */
export function portOn(cluster: TestCluster): KafkaCluster {
  const verbose = process.env.GEOREP_TEST_VERBOSE !== undefined;
  const create = clusterFactory((name) => process.env[name]);
  return create(clusterConfig(cluster), (entry: KafkaLogEntry) => {
    if (verbose && (entry.level === 'error' || entry.level === 'warn')) {
      process.stderr.write(`[kafka ${entry.level}] ${entry.component}: ${entry.message}\n`);
    }
  });
}
