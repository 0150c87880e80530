// The one place georep creates kafkajs clients, so that every client can read and write every codec Kafka
// supports (kafkajs alone knows only gzip) and carries records exactly (kafkajs loaded through
// kafkajs/load-kafkajs.ts, with georep's record-header and offset-out-of-range corrections in place).
import type { Kafka, KafkaConfig } from 'kafkajs';
import { registerCompressionCodecs } from './codecs.js';
import { loadKafkajs } from './kafkajs/load-kafkajs.js';

/** @throws KafkaClientIncompatible when the installed kafkajs cannot carry records exactly. */
export function createKafkajsClient(config: KafkaConfig): Kafka {
  const { Kafka } = loadKafkajs();
  registerCompressionCodecs();
  return new Kafka(config);
}
