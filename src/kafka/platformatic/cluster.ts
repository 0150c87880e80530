// The @platformatic/kafka implementation of the Kafka port: one KafkaCluster per configured cluster.
import type { ClusterConfig } from '../../config/types.js';
import type {
  KafkaAdmin,
  KafkaCluster,
  KafkaClusterFactory,
  LaneRecordSource,
  LaneSourceOptions,
  PartitionReader,
  RecordSink,
  RecordSinkOptions,
  RecordSource,
  RecordSourceOptions,
  TransactionalSink,
  TransactionalSinkOptions,
} from '../port.js';
import { PlatformaticAdmin } from './admin.js';
import { LaneReaders } from './lane-source.js';
import { PlatformaticPartitionReader } from './partition-reader.js';
import { PlatformaticSink } from './sink.js';
import { PlatformaticSource } from './source.js';
import { PlatformaticTransactionalSink } from './transactional-sink.js';

export class PlatformaticCluster implements KafkaCluster {
  readonly name: string;
  readonly #config: ClusterConfig;
  readonly #lanes: LaneReaders;

  constructor(config: ClusterConfig) {
    this.name = config.name;
    this.#config = config;
    this.#lanes = new LaneReaders(config);
  }

  createAdmin(): KafkaAdmin {
    return new PlatformaticAdmin(this.#config);
  }

  createSource(options: RecordSourceOptions): RecordSource {
    return new PlatformaticSource(this.#config, options);
  }

  createLaneSource(options: LaneSourceOptions): LaneRecordSource {
    return this.#lanes.source(options);
  }

  createSink(options: RecordSinkOptions = {}): RecordSink {
    return new PlatformaticSink(this.#config, options);
  }

  createTransactionalSink(options: TransactionalSinkOptions): TransactionalSink {
    return new PlatformaticTransactionalSink(this.#config, options);
  }

  createPartitionReader(): PartitionReader {
    return new PlatformaticPartitionReader(this.#config);
  }
}

export const createPlatformaticCluster: KafkaClusterFactory = (cluster: ClusterConfig) =>
  new PlatformaticCluster(cluster);
