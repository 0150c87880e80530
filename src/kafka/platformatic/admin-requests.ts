// How the admin adapter (admin.ts) sends its requests: through @platformatic/kafka's Admin, every failure
// turned into the port's errors (with TLS alerts explained), requests to partition leaders tried again while a
// leader moves, and topic metadata read with Kafka's own error codes (metadata.ts). admin.ts says what each
// KafkaAdmin operation asks; this file says how it is asked.
import { Admin } from '@platformatic/kafka';
import type { ClusterConfig } from '../../config/types.js';
import { type KafkaError, TopicNotFound, UnexpectedKafkaError } from '../errors.js';
import type { PartitionDescription, TopicId } from '../port.js';
import { baseOptions } from './client-options.js';
import { type ErrorContext, kafkaErrorIds, responseOf, toPortError } from './map-error.js';
import { type MetadataRead, readMetadata, topicIdOf, UNKNOWN_TOPIC_OR_PARTITION } from './metadata.js';
import { TlsAlerts } from './tls-alerts.js';

export interface TopicMetadata {
  readonly name: string;
  readonly topicId: TopicId;
  readonly partitions: PartitionDescription[];
}

/** Pause before the second try of a request to partition leaders; each further try waits longer. */
const LEADER_RETRY_DELAY_MS = 100;
/** Errors of a request sent to a broker that is not, or not yet, the partition's leader. */
const LEADER_CHANGE_IDS = [
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_LEADER_EPOCH',
  'FENCED_LEADER_EPOCH',
];
/** Tries of a request to partition leaders while they move: about 1.5 s in all. */
const LEADER_CHANGE_ATTEMPTS = 6;

/** One cluster's Admin client, asked with the port's errors. */
export class AdminRequests {
  readonly admin: Admin;
  readonly clusterName: string;
  readonly #tlsAlerts = new TlsAlerts();

  constructor(config: ClusterConfig) {
    this.admin = new Admin(baseOptions(config, 'admin'));
    this.#tlsAlerts.watch(this.admin, 'client:broker:connect');
    this.clusterName = config.name;
  }

  /** The topics' partitions (by partition number) and ids, in the order asked. @throws TopicNotFound */
  async topicsMetadata(topics: readonly string[], context: ErrorContext): Promise<TopicMetadata[]> {
    const { response, version, error } = await this.metadata([...topics], context);
    return topics.map((name) => {
      const found = response.topics.find((candidate) => candidate.name === name);
      if (found === undefined || found.errorCode === UNKNOWN_TOPIC_OR_PARTITION) {
        throw new TopicNotFound(this.clusterName, name, { cause: error });
      }
      if (found.errorCode !== 0) throw this.portError(error, { ...context, topic: name });
      return {
        name,
        topicId: topicIdOf(found, version),
        partitions: found.partitions
          .map((partition) => ({
            partition: partition.partitionIndex,
            leader: partition.leaderId,
            replicas: [...partition.replicaNodes],
            inSyncReplicas: [...partition.isrNodes],
          }))
          .sort((a, b) => a.partition - b.partition),
      };
    });
  }

  /** A Metadata request (metadata.ts), refused once the admin is closed. */
  async metadata(topics: string[] | null, context: ErrorContext): Promise<MetadataRead> {
    // the raw request goes around the client's own check, and would open connections again
    if (this.admin.closed) {
      throw new UnexpectedKafkaError(this.clusterName, `${context.operation}: the admin is closed`, false);
    }
    return await this.call(context, (admin) => readMetadata(admin, topics));
  }

  /**
   * call() for a request to partition leaders, tried again while a leader moves. Metadata names a partition's
   * new leader (a new topic's, a moved one's) a moment before that broker acts as leader; the library looks
   * the leaders up again on each try. Retrying here rather than in the runtime keeps that moment, which
   * follows every topic creation, from failing a whole discovery round.
   */
  async callLeaders<T>(context: ErrorContext, action: (admin: Admin) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await action(this.admin);
      } catch (error) {
        const ids = kafkaErrorIds(error);
        if (attempt >= LEADER_CHANGE_ATTEMPTS || !LEADER_CHANGE_IDS.some((id) => ids.has(id))) {
          throw this.portError(error, context);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, LEADER_RETRY_DELAY_MS * attempt));
    }
  }

  /** Runs `action` on the Admin; whatever it fails with becomes the port's error. */
  async call<T>(context: ErrorContext, action: (admin: Admin) => Promise<T>): Promise<T> {
    try {
      return await action(this.admin);
    } catch (error) {
      throw this.portError(error, context);
    }
  }

  /** The port's error for a library's, with a TLS alert the connection saw explained (tls-alerts.ts). */
  portError(error: unknown, context: ErrorContext): KafkaError {
    return toPortError(this.#tlsAlerts.explain(error), this.clusterName, context);
  }
}

/** The response's `field` array when the only errors in it are unknown topics; undefined otherwise. */
export function responseIfOnlyTopicsMissing(error: unknown, field: string): unknown[] | undefined {
  const ids = kafkaErrorIds(error);
  if (ids.size !== 1 || !ids.has('UNKNOWN_TOPIC_OR_PARTITION')) return undefined;
  const entries = responseOf(error)?.[field];
  return Array.isArray(entries) ? entries : undefined;
}
