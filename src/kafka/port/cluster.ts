// One cluster as the runtime gets it: the factory of its admin, sources and sinks, and the log lines a
// client hands back.
import type { ClusterConfig } from '../../config/types.js';
import type { KafkaAdmin } from './admin.js';
import type { PartitionReader } from './partition-reader.js';
import type { RecordSink, RecordSinkOptions, TransactionalSink, TransactionalSinkOptions } from './sink.js';
import type { LaneRecordSource, LaneSourceOptions, RecordSource, RecordSourceOptions } from './source.js';

export interface KafkaCluster {
  readonly name: string;
  createAdmin(): KafkaAdmin;
  createSource(options: RecordSourceOptions): RecordSource;
  /** A flow's reading, shared with the other flows of its lane (LaneSourceOptions). */
  createLaneSource(options: LaneSourceOptions): LaneRecordSource;
  createSink(options?: RecordSinkOptions): RecordSink;
  /** Absent when the client behind the port has no transactions: exactly-once flows then cannot run. */
  createTransactionalSink?(options: TransactionalSinkOptions): TransactionalSink;
  /** Absent when the client behind the port cannot fetch without a group: `georep verify` then cannot run. */
  createPartitionReader?(): PartitionReader;
}

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

/** A line a Kafka client wants to log; secrets are already removed. */
export interface KafkaLogEntry {
  readonly level: KafkaLogLevel;
  readonly cluster: string;
  /** The client's component, e.g. `Consumer` or `Connection`. */
  readonly component: string;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export type KafkaLogger = (entry: KafkaLogEntry) => void;

/** How the runtime gets a KafkaCluster: the @platformatic/kafka adapter in production, a double in unit tests. */
export type KafkaClusterFactory = (cluster: ClusterConfig, log: KafkaLogger) => KafkaCluster;
