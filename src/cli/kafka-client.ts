// The Kafka client, loaded when a command talks to Kafka: @platformatic/kafka takes some 0.6 s to load (it
// compiles its option schemas at import), which `georep validate` (run by Ansible on every template), `georep
// status` (HTTP only) and every --help need not pay.
import type { PlatformaticCluster } from '../kafka/platformatic/cluster.js';

export async function loadKafkaClient(): Promise<typeof PlatformaticCluster> {
  return (await import('../kafka/platformatic/cluster.js')).PlatformaticCluster;
}
