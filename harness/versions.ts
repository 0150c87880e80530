// The Kafka versions the harness can run, and what differs between them.
// Each version has a folder harness/kafka-versions/<version>/ with the POM that gathers its jars and the
// log configuration files for its logging backend.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const KAFKA_VERSIONS = ['3.9.1', '4.1.2'] as const;
export type KafkaVersion = (typeof KAFKA_VERSIONS)[number];

/** The current release line; 3.9.1 is kept because it is the last 3.x line and widely deployed. */
export const DEFAULT_KAFKA_VERSION: KafkaVersion = '4.1.2';

/** Kafka's Java tools that tests and users run from the same jars as the brokers. */
export type KafkaToolName =
  | 'topics'
  | 'console-producer'
  | 'console-consumer'
  | 'producer-perf'
  | 'consumer-perf'
  | 'consumer-groups'
  | 'dump-log'
  | 'configs'
  | 'storage';

export interface KafkaVersionProfile {
  readonly version: KafkaVersion;
  /** Folder with pom.xml and the log configuration files of this version. */
  readonly folder: string;
  /** JVM option that points the logging backend at a configuration file. */
  logConfigOption(configFile: string): string;
  /** Log configuration for brokers: everything at INFO into <kafka.logs.dir>/server.log. */
  readonly brokerLogConfigFile: string;
  /** Log configuration for short-lived tools: warnings and errors to stderr only. */
  readonly toolLogConfigFile: string;
  /** Broker properties that only this version knows or needs. */
  readonly extraBrokerProperties: Readonly<Record<string, string>>;
  readonly toolMainClasses: Readonly<Record<KafkaToolName, string>>;
}

const harnessDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRootDir = path.dirname(harnessDir);

const commonToolMainClasses = {
  topics: 'org.apache.kafka.tools.TopicCommand',
  'console-consumer': 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  'producer-perf': 'org.apache.kafka.tools.ProducerPerformance',
  'consumer-perf': 'org.apache.kafka.tools.ConsumerPerformance',
  'consumer-groups': 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  'dump-log': 'kafka.tools.DumpLogSegments',
  configs: 'kafka.admin.ConfigCommand',
  storage: 'kafka.tools.StorageTool',
} as const;

function folderOf(version: KafkaVersion): string {
  return path.join(harnessDir, 'kafka-versions', version);
}

const profiles: Record<KafkaVersion, KafkaVersionProfile> = {
  '3.9.1': {
    version: '3.9.1',
    folder: folderOf('3.9.1'),
    // 3.9 logs through SLF4J 1.7 to reload4j, which reads log4j 1.x properties files.
    logConfigOption: (configFile) => `-Dlog4j.configuration=file:${configFile}`,
    brokerLogConfigFile: path.join(folderOf('3.9.1'), 'broker-log4j.properties'),
    toolLogConfigFile: path.join(folderOf('3.9.1'), 'tools-log4j.properties'),
    extraBrokerProperties: {},
    toolMainClasses: { ...commonToolMainClasses, 'console-producer': 'kafka.tools.ConsoleProducer' },
  },
  '4.1.2': {
    version: '4.1.2',
    folder: folderOf('4.1.2'),
    logConfigOption: (configFile) => `-Dlog4j2.configurationFile=${configFile}`,
    brokerLogConfigFile: path.join(folderOf('4.1.2'), 'broker-log4j2.yaml'),
    toolLogConfigFile: path.join(folderOf('4.1.2'), 'tools-log4j2.yaml'),
    // Share groups (KIP-932) have their own internal topic whose default replication factor is 3.
    extraBrokerProperties: {
      'share.coordinator.state.topic.replication.factor': '1',
      'share.coordinator.state.topic.min.isr': '1',
    },
    toolMainClasses: {
      ...commonToolMainClasses,
      'console-producer': 'org.apache.kafka.tools.ConsoleProducer',
    },
  },
};

export function isKafkaVersion(value: string): value is KafkaVersion {
  return (KAFKA_VERSIONS as readonly string[]).includes(value);
}

/** Checks a version given by a user (flag or environment variable) and names the supported ones if wrong. */
export function parseKafkaVersion(value: string, source: string): KafkaVersion {
  if (isKafkaVersion(value)) return value;
  throw new Error(
    `${source}: Kafka version "${value}" is not supported; use one of ${KAFKA_VERSIONS.join(', ')}`,
  );
}

/** The version chosen by GEOREP_KAFKA_VERSION, or the default. */
export function kafkaVersionFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaVersion {
  const chosen = env.GEOREP_KAFKA_VERSION;
  return chosen ? parseKafkaVersion(chosen, 'GEOREP_KAFKA_VERSION') : DEFAULT_KAFKA_VERSION;
}

/**
 * The versions that suites covering every version run against: all supported ones, or the comma-separated
 * list in GEOREP_TEST_KAFKA_VERSIONS (to run a quick check on one version).
 */
export function testKafkaVersionsFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaVersion[] {
  const chosen = env.GEOREP_TEST_KAFKA_VERSIONS;
  if (!chosen) return [...KAFKA_VERSIONS];
  return chosen
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => parseKafkaVersion(item, 'GEOREP_TEST_KAFKA_VERSIONS'));
}

export function kafkaVersionProfile(version: KafkaVersion): KafkaVersionProfile {
  return profiles[version];
}
