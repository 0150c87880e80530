// The one place georep creates kafkajs clients, so that every client can read and write every codec Kafka
// supports (kafkajs alone knows only gzip).
import { Kafka, type KafkaConfig } from 'kafkajs';
import { registerCompressionCodecs } from './codecs.js';

export function createKafkajsClient(config: KafkaConfig): Kafka {
  registerCompressionCodecs();
  return new Kafka(config);
}
