// The kafkajs implementation of the Kafka port: one KafkaCluster per configured cluster.
import type { Kafka } from 'kafkajs';
import type { ClusterConfig } from '../../config/types.js';
import { registerCompressionCodecs } from '../codecs.js';
import type {
  KafkaAdmin,
  KafkaCluster,
  KafkaClusterFactory,
  KafkaLogger,
  RecordSink,
  RecordSinkOptions,
  RecordSource,
  RecordSourceOptions,
  TransactionalSink,
  TransactionalSinkOptions,
} from '../port.js';
import { KafkajsAdmin } from './admin.js';
import { type ClientTuning, kafkajsConfig } from './client-config.js';
import { loadKafkajs } from './load-kafkajs.js';
import { KafkajsSink } from './sink.js';
import { KafkajsSource } from './source.js';
import { KafkajsTransactionalSink } from './transactional-sink.js';

export class KafkajsCluster implements KafkaCluster {
  readonly name: string;
  readonly #kafka: Kafka;
  readonly #requestTimeoutMs: number;

  /** @throws KafkaClientIncompatible when the installed kafkajs cannot carry records exactly. */
  constructor(cluster: ClusterConfig, log: KafkaLogger, tuning: ClientTuning = {}) {
    const { Kafka } = loadKafkajs();
    // Origin data may come in any codec Kafka supports; kafkajs alone reads only gzip.
    registerCompressionCodecs();
    this.name = cluster.name;
    this.#kafka = new Kafka(kafkajsConfig(cluster, log, tuning));
    this.#requestTimeoutMs = cluster.requestTimeoutMs;
  }

  createAdmin(): KafkaAdmin {
    return new KafkajsAdmin(this.#kafka, this.name, this.#requestTimeoutMs);
  }

  createSource(options: RecordSourceOptions): RecordSource {
    return new KafkajsSource(this.#kafka, this.name, options);
  }

  createSink(options: RecordSinkOptions = {}): RecordSink {
    return new KafkajsSink(this.#kafka, this.name, this.#requestTimeoutMs, options);
  }

  createTransactionalSink(options: TransactionalSinkOptions): TransactionalSink {
    return new KafkajsTransactionalSink(this.#kafka, this.name, this.#requestTimeoutMs, options);
  }
}

export const createKafkajsCluster: KafkaClusterFactory = (cluster: ClusterConfig, log: KafkaLogger) =>
  new KafkajsCluster(cluster, log);
