// Which Kafka client is behind the port. georep is moving from kafkajs (unmaintained, patched in place) to
// @platformatic/kafka, the default since its adapter passed every suite on Kafka 3.9.1 and 4.1.2 and copied
// faster than the kafkajs one in the same benchmark run. Until kafkajs is deleted, GEOREP_KAFKA_CLIENT=kafkajs
// still selects it (CI runs the port's own suites with it). Read once, at the edge (the CLI).
import type { ClusterConfig } from '../config/types.js';
import { createKafkajsCluster } from './kafkajs/cluster.js';
import { createPlatformaticCluster } from './platformatic/cluster.js';
import type { KafkaClusterFactory, KafkaLogger } from './port.js';

export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];
export const KAFKA_CLIENT_VARIABLE = 'GEOREP_KAFKA_CLIENT';

/** The client named by GEOREP_KAFKA_CLIENT; throws a short error naming the variable for any other value. */
export function kafkaClientName(env: (name: string) => string | undefined): KafkaClientName {
  const value = env(KAFKA_CLIENT_VARIABLE);
  if (value === undefined || value === '') return 'platformatic';
  const known = KAFKA_CLIENTS.find((name) => name === value);
  if (known === undefined) {
    throw new Error(
      `${KAFKA_CLIENT_VARIABLE}=${value.slice(0, 40)} is not one of ${KAFKA_CLIENTS.join(', ')}`,
    );
  }
  return known;
}

export function clusterFactory(env: (name: string) => string | undefined): KafkaClusterFactory {
  return kafkaClientName(env) === 'platformatic' ? createPlatformaticCluster : createKafkajsCluster;
}

/** An admin-only cluster for a one-shot CLI command, whose client logs are not wanted. */
export function quietCluster(env: (name: string) => string | undefined, cluster: ClusterConfig) {
  const ignore: KafkaLogger = () => {};
  return clusterFactory(env)(cluster, ignore);
}
