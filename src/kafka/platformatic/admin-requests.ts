// How the admin adapter (admin.ts) sends its requests: through @platformatic/kafka's Admin, every failure
// turned into the port's errors (with TLS alerts explained), requests to partition leaders tried again while a
// leader moves, and topic metadata read with Kafka's own error codes (metadata.ts). admin.ts says what each
// KafkaAdmin operation asks; this file says how it is asked.
import { Admin } from '@platformatic/kafka';
import type { ClusterConfig } from '../../config/types.js';
import { ConcurrencyLimit } from '../concurrency-limit.js';
import { type KafkaError, TopicNotFound, UnexpectedKafkaError } from '../errors.js';
import type { PartitionDescription, TopicId } from '../port.js';
import { RequestCoalescer } from '../request-coalescer.js';
import { baseOptions } from './client-options.js';
import { type ErrorContext, kafkaErrorIds, responseOf, toPortError } from './map-error.js';
import {
  type MetadataRead,
  type MetadataTopic,
  readMetadata,
  topicError,
  topicIdOf,
  UNKNOWN_TOPIC_OR_PARTITION,
} from './metadata.js';
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
/**
 * Most requests one admin has sent and not yet had answered. The library queues the rest on the connection,
 * and fails that whole queue recursively when the connection closes: thousands overflow the stack.
 */
const REQUESTS_IN_FLIGHT = 32;
/** Metadata requests for single topics (each flow's start asks several) go out together, this many topics at most. */
export const METADATA_TOPICS_PER_REQUEST = 500;
/** How long a metadata or config request waits for others to join it: a flow's start barely notices. */
export const COALESCE_WINDOW_MS = 5;
/** Most coalesced requests of one kind in flight at a time. */
export const COALESCED_REQUESTS_IN_FLIGHT = 4;

/** One cluster's Admin client, asked with the port's errors. */
export class AdminRequests {
  readonly admin: Admin;
  readonly clusterName: string;
  readonly #tlsAlerts = new TlsAlerts();
  readonly #inFlight = new ConcurrencyLimit(REQUESTS_IN_FLIGHT);
  /** Metadata of topic lists asked at about the same time, read in one request (see metadata()). */
  readonly #topicsMetadata = new RequestCoalescer<readonly string[], MetadataRead>({
    maxBatchSize: METADATA_TOPICS_PER_REQUEST,
    windowMs: COALESCE_WINDOW_MS,
    maxInFlight: COALESCED_REQUESTS_IN_FLIGHT,
    send: async (lists) => {
      const read = await this.send((admin) => readMetadata(admin, [...new Set(lists.flat())]));
      return lists.map(() => read);
    },
  });

  constructor(config: ClusterConfig) {
    this.admin = new Admin(baseOptions(config, 'admin'));
    this.#tlsAlerts.watch(this.admin, 'client:broker:connect');
    this.clusterName = config.name;
  }

  /** The topics' partitions (by partition number) and ids, in the order asked. @throws TopicNotFound */
  async topicsMetadata(topics: readonly string[], context: ErrorContext): Promise<TopicMetadata[]> {
    const known = await this.topicsMetadataIfKnown(topics, context);
    return known.map((found, index) => {
      if (found === null) throw new TopicNotFound(this.clusterName, topics[index]!);
      return found;
    });
  }

  /**
   * As topicsMetadata, with null for a topic the cluster does not know (yet): what a wait for a new topic asks
   * again and again, without an error built each time.
   */
  async topicsMetadataIfKnown(
    topics: readonly string[],
    context: ErrorContext,
  ): Promise<(TopicMetadata | null)[]> {
    const read = await this.metadata([...topics], context);
    const byName = topicsByName(read);
    return topics.map((name) => {
      const found = byName.get(name);
      if (found === undefined || found.errorCode === UNKNOWN_TOPIC_OR_PARTITION) return null;
      if (found.errorCode !== 0) throw this.portError(topicError(read, found), { ...context, topic: name });
      return {
        name,
        topicId: topicIdOf(found, read.version),
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

  /**
   * A Metadata request (metadata.ts), refused once the admin is closed. Requests for topic lists (not for every
   * topic) asked at about the same time share one request for all their topics: each caller reads its own from
   * the answer, with the errors Kafka gave them.
   */
  async metadata(topics: string[] | null, context: ErrorContext): Promise<MetadataRead> {
    // the raw request goes around the client's own check, and would open connections again
    if (this.admin.closed) {
      throw new UnexpectedKafkaError(this.clusterName, `${context.operation}: the admin is closed`, false);
    }
    if (topics === null) return await this.call(context, (admin) => readMetadata(admin, null));
    try {
      return await this.#topicsMetadata.request(topics);
    } catch (error) {
      throw this.portError(error, context);
    }
  }

  /**
   * `attempt` (a request to partition leaders, with the library's errors) tried again while a leader moves.
   * Metadata names a partition's new leader (a new topic's, a moved one's) a moment before that broker acts as
   * leader; the library looks the leaders up again on each try. Retrying here rather than in the runtime keeps
   * that moment, which follows every topic creation, from failing a whole discovery round.
   */
  async retryingLeaderChanges<T>(context: ErrorContext, attempt: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        const ids = kafkaErrorIds(error);
        if (tries >= LEADER_CHANGE_ATTEMPTS || !LEADER_CHANGE_IDS.some((id) => ids.has(id))) {
          throw this.portError(error, context);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, LEADER_RETRY_DELAY_MS * tries));
    }
  }

  /** Runs `action` on the Admin; whatever it fails with becomes the port's error. */
  async call<T>(context: ErrorContext, action: (admin: Admin) => Promise<T>): Promise<T> {
    try {
      return await this.send(action);
    } catch (error) {
      throw this.portError(error, context);
    }
  }

  /** Runs `action` on the Admin once fewer than REQUESTS_IN_FLIGHT others run; its errors are the library's. */
  async send<T>(action: (admin: Admin) => Promise<T>): Promise<T> {
    return await this.#inFlight.run(() => action(this.admin));
  }

  /** The port's error for a library's, with a TLS alert the connection saw explained (tls-alerts.ts). */
  portError(error: unknown, context: ErrorContext): KafkaError {
    return toPortError(this.#tlsAlerts.explain(error), this.clusterName, context);
  }
}

/**
 * The topics of a Metadata answer by name, built once per answer: a coalesced answer is read by each of the
 * hundreds of callers it serves.
 */
const topicIndexes = new WeakMap<MetadataRead, ReadonlyMap<string, MetadataTopic>>();

function topicsByName(read: MetadataRead): ReadonlyMap<string, MetadataTopic> {
  let index = topicIndexes.get(read);
  if (index === undefined) {
    index = new Map(
      read.response.topics.flatMap((topic) =>
        typeof topic.name === 'string' ? [[topic.name, topic] as const] : [],
      ),
    );
    topicIndexes.set(read, index);
  }
  return index;
}

/** The response's `field` array when the only errors in it are unknown topics; undefined otherwise. */
export function responseIfOnlyTopicsMissing(error: unknown, field: string): unknown[] | undefined {
  const ids = kafkaErrorIds(error);
  if (ids.size !== 1 || !ids.has('UNKNOWN_TOPIC_OR_PARTITION')) return undefined;
  const entries = responseOf(error)?.[field];
  return Array.isArray(entries) ? entries : undefined;
}
