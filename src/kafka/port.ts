// The Kafka port: everything georep needs from a Kafka cluster, in georep's own types. The runtime, the
// topic sync and the CLI see only these interfaces; the @platformatic/kafka adapter (src/kafka/platformatic/)
// implements them, and an in-memory double (test/support/in-memory-kafka.ts) stands in for it in unit tests.
// The contract suites in test/support/ keep the two alike; a client is replaced without touching the rest.
//
// This file is the one place to import the port from; each side of it is defined in its own file under
// port/, so that one reads the admin, the source or the sink without the others:
//   records.ts           what a source reads and a sink writes (ConsumedRecord, RecordToWrite, headers)
//   admin.ts             KafkaAdmin: topics, topic ids, configs, offsets, consumer groups
//   source.ts            RecordSource: one topic read as a member of a consumer group
//   sink.ts              RecordSink and TransactionalSink (exactly-once): writes to exact partitions
//   partition-reader.ts  PartitionReader: given offsets read without a group (georep verify)
//   cluster.ts           KafkaCluster and its factory: what the runtime gets per cluster
//
// Conventions:
// - Offsets are `bigint`. Kafka offsets are int64: a bigint is exact over the whole range, supports the
//   arithmetic a mirror does (next offset = offset + 1n, lag = end - position) without a Long library, and
//   the compiler keeps it apart from the numbers and strings flying around.
//   Convert with Number() only for metrics.
// - Timestamps are milliseconds since the epoch as `number` (exact for any realistic date).
// - Every method that talks to Kafka rejects with one of the classes in ./errors.ts, never a client's error.
export type { CompressionCodec, CompressionSetting } from '../config/types.js';
export type * from './port/admin.js';
export type * from './port/cluster.js';
export type * from './port/partition-reader.js';
export type * from './port/records.js';
export type * from './port/sink.js';
export type * from './port/source.js';
