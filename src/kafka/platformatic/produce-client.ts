// Produce requests to the leader of one exact partition, over a @platformatic/kafka client's metadata cache
// and connection pool. Why not the library's Producer: it takes `partition` modulo the partition count it
// has cached (a write to partition 3 of a topic it knows with 2 partitions silently lands in partition 1),
// takes headers as a Map, and holds one request in flight per connection when idempotent. Here the batch
// is georep's own (record-batch.ts) and the partition is checked against fresh metadata before anything is
// sent to it. The request itself is encoded in produce-request.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Base,
  type Broker,
  type ClusterMetadata,
  type Connection,
  FindCoordinatorKeyTypes,
  findCoordinatorV4,
  kGetBootstrapConnection,
} from '@platformatic/kafka';
import type { ClusterConfig } from '../../config/types.js';
import { type KafkaError, PartitionNotFound, TopicRecreated } from '../errors.js';
import type { Dispatched } from '../pipelined-sends.js';
import type { TopicId, UnreachableListener } from '../port.js';
import { baseOptions } from './client-options.js';
import { CombinedProduce } from './combined-produce.js';
import {
  type ErrorContext,
  errorTree,
  failedOnNetwork,
  innermostMessage,
  kafkaErrorIds,
  toPortError,
} from './map-error.js';
import { topicIdFromUuid } from './metadata.js';
import { whileSilentFor } from './silence-watch.js';
import { TlsAlerts } from './tls-alerts.js';

/**
 * How long a transaction may stay open before the broker aborts it. It bounds how long a transaction left
 * open by a process that died stalls read_committed readers of the partition when nobody claims it again
 * (a removed flow); a claim aborts it at once. One batch must be written within it.
 */
export const TRANSACTION_TIMEOUT_MS = 60_000;
/**
 * Tries of one request before it fails (with the waits between them, about 5 s). A produce request sends the
 * same batch every time (same producer id and sequence), so the broker stores it at most once however many
 * tries reached it.
 */
const RETRY_ATTEMPTS = 6;
/**
 * A produce request without an answer this long is reported as the destination not answering (the write goes
 * on waiting for it). With acks=all a healthy broker answers once the replicas have the batch, well within it
 * on a busy machine; see docs/outages.md.
 */
export const PRODUCE_SILENCE_MS = 2_000;
/**
 * …counted from the batch's hand-over or its connection's last answer, whichever came later (a batch waiting for
 * one of the connection's five places waits for the broker to answer the others: while it does, the destination
 * answers), plus the time the bytes out on the connection take at this rate (large requests on a slow link).
 */
const PRODUCE_MIN_TRANSFER_BYTES_PER_SECOND = 5 * 1024 * 1024;
const RETRY_BACKOFF_MS = 100;
const MAX_RETRY_BACKOFF_MS = 2_000;
/**
 * After a network failure (the broker refused or dropped the connection) the wait stays this short: a broker
 * that is down costs nothing to ask, and one that is back is written to within this long (docs/outages.md).
 */
const MAX_NETWORK_RETRY_BACKOFF_MS = 500;
/**
 * Answers after which the same request can succeed once the client looked again where the partition's leader
 * is (or waited for replicas): the batch was not stored, or was stored and a retry is told its offset.
 */
const TRANSIENT_PRODUCE_IDS = new Set([
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'REQUEST_TIMED_OUT',
  'KAFKA_STORAGE_ERROR',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'NETWORK_EXCEPTION',
]);

/** Kafka answered with one of `ids`, or the request failed on the network (it may be retried as it is). */
export function answeredOrUnreachable(error: unknown, ids: ReadonlySet<string>): boolean {
  if ([...kafkaErrorIds(error)].some((id) => ids.has(id))) return true;
  return failedOnNetwork(error);
}

const isTransient = (error: unknown) => answeredOrUnreachable(error, TRANSIENT_PRODUCE_IDS);

/** What the library itself would retry: every error in the tree says it can be retried. */
export function isRetriable(error: unknown): boolean {
  const tree = errorTree(error);
  return tree.some((link) => link.canRetry === true) && !tree.some((link) => link.canRetry === false);
}

/**
 * Runs `operation` until it succeeds, fails in a way `retriable` rejects, or failed `attempts` times, waiting
 * longer after each failure (up to MAX_RETRY_BACKOFF_MS, or MAX_NETWORK_RETRY_BACKOFF_MS after a network failure).
 */
export async function withRetries<Result>(
  retriable: (error: unknown) => boolean,
  operation: (attempt: number) => Promise<Result>,
  attempts = RETRY_ATTEMPTS,
): Promise<Result> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!retriable(error) || attempt >= attempts) throw error;
      const maxDelayMs = failedOnNetwork(error) ? MAX_NETWORK_RETRY_BACKOFF_MS : MAX_RETRY_BACKOFF_MS;
      await sleep(Math.min(RETRY_BACKOFF_MS * 2 ** (attempt - 1), maxDelayMs));
    }
  }
}

export type CoordinatorKeyType = 'transaction' | 'group';
const COORDINATOR_KEY_TYPES: Record<CoordinatorKeyType, number> = {
  transaction: FindCoordinatorKeyTypes.TRANSACTION,
  group: FindCoordinatorKeyTypes.GROUP,
};

export interface ProduceTarget {
  readonly topic: string;
  readonly partition: number;
  /** A transactional producer's id; null for an idempotent one. */
  readonly transactionalId: string | null;
  /** The topic's id as the flow checked it: a topic of that name with another id is refused (TopicRecreated). */
  readonly topicId?: TopicId;
}

/**
 * How often a topic written with an expected id is looked up again to check that id. A produce request names
 * its topic (up to v12), and a broker takes records for a topic deleted and created again under the same name
 * without complaint (a new partition accepts any sequence of an unknown producer): only metadata tells. So the
 * writes of at most this long after a re-creation can land in the new topic; later ones are refused.
 */
export const TOPIC_ID_CHECK_MS = 2000;

/** Says, once every TOPIC_ID_CHECK_MS per topic, that a write should look its topic up afresh (and check its id). */
export class TopicIdChecks {
  readonly #checkedAtMs = new Map<string, number>();

  due(topic: string): boolean {
    const nowMs = Date.now();
    const checkedAtMs = this.#checkedAtMs.get(topic);
    if (checkedAtMs !== undefined && nowMs - checkedAtMs < TOPIC_ID_CHECK_MS) return false;
    this.#checkedAtMs.set(topic, nowMs);
    return true;
  }
}

/** One client: its own metadata cache and one connection per broker. */
export class ProduceClient {
  readonly client: Base;
  readonly #clusterName: string;
  readonly #tlsAlerts = new TlsAlerts();
  /** Per broker (host:port), until when it throttles this client (the throttle time of its last answer). */
  readonly #throttledUntilMs = new Map<string, number>();
  /** Coordinators found, by key type and key. */
  readonly #coordinators = new Map<string, Promise<Broker>>();
  readonly #requests: CombinedProduce;

  constructor(cluster: ClusterConfig, role: string) {
    this.client = new Base(baseOptions(cluster, role));
    this.#tlsAlerts.watch(this.client, 'client:broker:connect');
    this.#clusterName = cluster.name;
    this.#requests = new CombinedProduce(
      cluster.name,
      cluster.requestTimeoutMs,
      (connection, throttleTimeMs) =>
        this.#throttledUntilMs.set(`${connection.host}:${connection.port}`, Date.now() + throttleTimeMs),
    );
  }

  /**
   * Sends one batch to the partition's leader; the offset the broker gave its first record. Retries transient
   * failures with the same batch, looking up the leader again before each retry.
   * @throws TopicNotFound, PartitionNotFound, RecordTooLarge, AuthorizationFailed, Retriable, …
   */
  async produce(target: ProduceTarget, batch: Buffer, onUnreachable?: UnreachableListener): Promise<bigint> {
    try {
      return await withRetries(isTransient, async (attempt) => {
        // A retry looks up the leader again.
        const { answer } = await this.#handOver(target, batch, attempt > 1, onUnreachable);
        return await answer;
      });
    } catch (error) {
      throw this.toPortError(error, `write to topic ${target.topic}`, target.topic);
    }
  }

  /**
   * Sends one batch once, without retries, for a caller that sends a partition's next batch before this one is
   * answered (pipelined-sends.ts): resolves once the batch is handed to its leader's connection, behind every
   * batch handed over before it, and the answer then says where it landed. Failures are those of produce.
   */
  async dispatch(
    target: ProduceTarget,
    batch: Buffer,
    onUnreachable?: UnreachableListener,
  ): Promise<Dispatched<bigint>> {
    const toPortError = (error: unknown) =>
      this.toPortError(error, `write to topic ${target.topic}`, target.topic);
    try {
      const { answer } = await this.#handOver(target, batch, false, onUnreachable);
      return {
        answer: answer.catch((error: unknown) => {
          throw toPortError(error);
        }),
      };
    } catch (error) {
      throw toPortError(error);
    }
  }

  /** Looks up the partition's leader (afresh with `refresh`) and hands `batch` to its connection. */
  async #handOver(
    target: ProduceTarget,
    batch: Buffer,
    refresh: boolean,
    onUnreachable: UnreachableListener | undefined,
  ): Promise<Dispatched<bigint>> {
    let what = 'metadata request';
    const reportFailure = (error: unknown) => {
      if (failedOnNetwork(error)) onUnreachable?.(`${what} failed: ${innermostMessage(error)}`);
      return error;
    };
    let leader: { connection: Connection; broker: number };
    try {
      leader = await this.#leaderConnection(target.topic, target.partition, refresh, target.topicId);
    } catch (error) {
      throw reportFailure(error);
    }
    const { connection } = leader;
    what = `produce to broker ${leader.broker} (${connection.host}:${connection.port})`;
    const handedOverAtMs = Date.now();
    const answer = whileSilentFor(
      this.#requests.send(connection, target, batch),
      () => {
        const { lastAnswerAtMs, bytesOut } = this.#requests.progress(connection);
        const transferMs = Math.round((bytesOut * 1000) / PRODUCE_MIN_TRANSFER_BYTES_PER_SECOND);
        return {
          quietSinceMs: Math.max(handedOverAtMs, lastAnswerAtMs ?? handedOverAtMs),
          allowedMs: PRODUCE_SILENCE_MS + transferMs + this.#throttleLeftMs(connection),
        };
      },
      (silentForMs) => onUnreachable?.(`no response to ${what} for ${(silentForMs / 1000).toFixed(1)} s`),
    ).catch((error: unknown) => {
      throw reportFailure(error);
    });
    return { answer };
  }

  /**
   * A connection to the leader of `partition`. A partition beyond the cached partition count is looked up once
   * more (it may have been added since), then it is PartitionNotFound.
   */
  async #leaderConnection(
    topic: string,
    partition: number,
    refresh: boolean,
    expectedTopicId: TopicId = null,
  ): Promise<{ connection: Connection; broker: number }> {
    let metadata = await this.#metadata(topic, refresh);
    let partitions = metadata.topics.get(topic)!.partitions;
    const otherId = () => {
      const topicId = topicIdFromUuid(metadata.topics.get(topic)!.id);
      return expectedTopicId !== null && topicId !== null && topicId !== expectedTopicId ? topicId : null;
    };
    // A cached view older than the flow's check may name an older topic of the same name: asked again first.
    if ((partition >= partitions.length || otherId() !== null) && !refresh) {
      metadata = await this.#metadata(topic, true);
      partitions = metadata.topics.get(topic)!.partitions;
    }
    const topicId = otherId();
    if (expectedTopicId !== null && topicId !== null) {
      throw new TopicRecreated(this.#clusterName, { topic, expectedTopicId, topicId });
    }
    if (!Number.isInteger(partition) || partition < 0 || partition >= partitions.length) {
      throw new PartitionNotFound(this.#clusterName, topic, partition);
    }
    const leader = partitions[partition]!.leader;
    const broker = metadata.brokers.get(leader);
    if (broker === undefined) {
      // Kafka's own code for it, so that the produce loop retries after looking again.
      throw Object.assign(new Error(`partition ${partition} of ${topic} has no leader`), {
        apiId: 'LEADER_NOT_AVAILABLE',
      });
    }
    return { connection: await this.client.connections.get(broker), broker: leader };
  }

  /** Runs `operation` on a connection to any broker, retrying what the library would retry. */
  onAnyBroker<Result>(operation: (connection: Connection) => Promise<Result>): Promise<Result> {
    return withRetries(isRetriable, async () => {
      const connection = await new Promise<Connection>((resolve, reject) =>
        this.client[kGetBootstrapConnection]((error, found) => (error ? reject(error) : resolve(found!))),
      );
      return await operation(connection);
    });
  }

  /**
   * A connection to the coordinator of a transactional id or a consumer group: the one found before, unless
   * `refresh` (the caller's previous request failed there) asks to find it again.
   */
  async coordinatorConnection(
    keyType: CoordinatorKeyType,
    key: string,
    refresh = false,
  ): Promise<Connection> {
    const cacheKey = `${keyType}\u0000${key}`;
    let coordinator = this.#coordinators.get(cacheKey);
    if (coordinator === undefined || refresh) {
      coordinator = this.onAnyBroker((connection) =>
        findCoordinatorV4.api.async(connection, COORDINATOR_KEY_TYPES[keyType], [key]),
      ).then((response) => {
        const { host, port } = response.coordinators[0]!;
        return { host, port };
      });
      this.#coordinators.set(cacheKey, coordinator);
      coordinator.catch(() => {
        if (this.#coordinators.get(cacheKey) === coordinator) this.#coordinators.delete(cacheKey);
      });
    }
    return await this.client.connections.get(await coordinator);
  }

  /** Forgets what the client knows of `topic` (it was deleted): the next write looks it up again. */
  forgetTopic(topic: string): void {
    this.client.currentMetadata?.topics.delete(topic);
  }

  /** `names`: the group and transactional id of the request, which an authorization failure names. */
  toPortError(
    error: unknown,
    operation: string,
    topic: string,
    names: Pick<ErrorContext, 'groupId' | 'transactionalId'> = {},
  ): KafkaError {
    return toPortError(this.#tlsAlerts.explain(error), this.#clusterName, { operation, topic, ...names });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** The library reports a missing topic as a UserError ('Unknown topic'), which toPortError knows. */
  #metadata(topic: string, forceUpdate: boolean): Promise<ClusterMetadata> {
    return this.client.metadata({ topics: [topic], forceUpdate });
  }

  /**
   * How much longer the broker behind `connection` holds our requests back: a broker enforcing a quota answers
   * at once with a throttle time and then reads nothing more from the connection until it has passed (KIP-219),
   * so the next answer is that much later without anything being wrong.
   */
  #throttleLeftMs(connection: Connection): number {
    const untilMs = this.#throttledUntilMs.get(`${connection.host}:${connection.port}`) ?? 0;
    return Math.max(0, untilMs - Date.now());
  }
}
