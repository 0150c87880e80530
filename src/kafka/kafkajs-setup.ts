// Plain kafkajs clients loaded the way georep loads kafkajs (load-kafkajs.ts: byte-exact record headers,
// no silent offset reset) with every compression codec, for tests and benchmarks that need kafkajs's own
// producer, consumer and admin APIs rather than the port.
import type { Kafka, KafkaConfig } from 'kafkajs';
import { registerCompressionCodecs } from './codecs.js';
import { loadKafkajs } from './kafkajs/load-kafkajs.js';

export function createKafkajsClient(config: KafkaConfig): Kafka {
  const { Kafka } = loadKafkajs();
  registerCompressionCodecs();
  return new Kafka(config);
}
