// The Kafka client, loaded when a command talks to Kafka: @platformatic/kafka takes some 0.6 s to load (it
// compiles its option schemas at import), which `georep validate` (run by Ansible on every template), `georep
// status` (HTTP only) and every --help need not pay.
export function loadKafkaClient(): Promise<typeof import('../kafka/platformatic/cluster.js')> {
  return import('../kafka/platformatic/cluster.js');
}
