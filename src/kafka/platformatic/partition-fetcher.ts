// Fetch requests for partitions of any number of topics, sent by georep itself with the library's Fetch API (the version
// both sides support, read_committed) over a connection pool of their own, so that georep sees the raw record
// batches and the broker's aborted_transactions (record-batches.ts reads them) and a long fetch never queues the
// group's heartbeats behind it on the coordinator's connection.
//
// The Consumer's own fetch() is not used: it runs the library's read_committed filter first, which drops
// batches by a rule of its own before georep could apply Kafka's. Requests go in incremental fetch sessions
// (KIP-227, fetch-session.ts): after the first, a request names only what changed, and the answer only what has
// news, which is what keeps an idle lane of thousands of partitions cheap on both sides and on the wire.
import {
  type Callback,
  type ConnectionPool,
  type Consumer,
  fetchV13,
  fetchV14,
  fetchV15,
  fetchV16,
  fetchV17,
  kGetApi,
  ProtocolError,
  protocolErrorsCodesById,
} from '@platformatic/kafka';
import { TopicRecreated } from '../errors.js';
import type { TopicId } from '../port.js';
import { partitionOutcome } from './fetch-answer.js';
import {
  type FetchApi,
  type FetchRequestWriter,
  type FetchResponse,
  fetchApiKeepingBatches,
  sendFetch,
} from './fetch-response.js';
import {
  type FetchSession,
  OPENING_EPOCH,
  partitionKey,
  type SessionPartition,
  type SessionRequest,
  sessionAfter,
  sessionRequest,
} from './fetch-session.js';
import { topicIdFromUuid, unknownTopics } from './metadata.js';
import type { PartitionRead } from './record-batches.js';

/** Fetch v12 and older name topics; later versions identify them by topic id. */
const LAST_FETCH_VERSION_WITH_TOPIC_NAMES = 12;
/** Without a fetch session: a full fetch request that opens none (FetchRequest's FINAL_EPOCH). */
const NO_SESSION_ID = 0;
const NO_SESSION_EPOCH = -1;
/** What a broker answers for a session it no longer holds, or an epoch out of step: open a new one. */
const SESSION_ERROR_IDS = new Set([
  'FETCH_SESSION_ID_NOT_FOUND',
  'INVALID_FETCH_SESSION_EPOCH',
  'FETCH_SESSION_TOPIC_ID_ERROR',
]);
/**
 * Metadata requests retried inside the library: one, for a broker that has not yet heard of a topic just
 * created. A missing topic must surface quickly as TopicNotFound; other failures are retried by the source.
 */
const METADATA_RETRIES = 1;

/** Fetch versions whose responses are read with fetch-response.ts, keeping each batch's bytes as received. */
const REQUEST_WRITERS_KEEPING_BATCHES = new Map<number, FetchRequestWriter>([
  [13, fetchV13.createRequest],
  [14, fetchV14.createRequest],
  [15, fetchV15.createRequest],
  [16, fetchV16.createRequest],
  [17, fetchV17.createRequest],
]);

export interface PartitionFetch {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly maxBytes: number;
}

export type FetchedPartition =
  | {
      readonly kind: 'read';
      readonly topic: string;
      readonly partition: number;
      readonly fetchOffset: bigint;
      readonly read: PartitionRead;
      readonly highWatermark: bigint;
      readonly lastStableOffset: bigint;
    }
  /** A batch at the offset asked for cannot be read (received-batches.ts says why): the partition stops there. */
  | {
      readonly kind: 'unreadable';
      readonly topic: string;
      readonly partition: number;
      readonly fetchOffset: bigint;
      readonly error: Error;
    }
  /** The broker no longer has (or does not yet have) the offset asked for. */
  | {
      readonly kind: 'out-of-range';
      readonly topic: string;
      readonly partition: number;
      readonly fetchOffset: bigint;
    }
  /** A transient problem (leader moved, partition not yet known): fetch again after fresh metadata. */
  | { readonly kind: 'retry'; readonly topic: string; readonly partition: number; readonly error: Error };

/**
 * Where the partitions of the topics loaded so far have their leaders, and how to reach the brokers. One object
 * per fetcher, updated in place by each layout() call (a call loads only the topics it names).
 */
export interface FetchLayout {
  /** By topic, the leader broker id of each partition, by partition number; -1 while there is none. */
  readonly leaders: ReadonlyMap<string, readonly number[]>;
  /** By topic, its id as the metadata gave it (fetches name topics by id from Fetch v13). */
  readonly topicIds: ReadonlyMap<string, string>;
  readonly brokers: ReadonlyMap<number, { readonly host: string; readonly port: number }>;
}

/** The partition's leader in `layout`; -1 for none, a partition or topic the layout does not know included. */
export function leaderOf(layout: FetchLayout, topic: string, partition: number): number {
  return layout.leaders.get(topic)?.[partition] ?? -1;
}

export class PartitionFetcher {
  readonly #consumer: Consumer;
  readonly #pool: ConnectionPool;
  readonly #maxWaitMs: number;
  readonly #clusterName: string;
  /** By topic, its id as the flow checked it, else as first seen here; null where the broker gives none. */
  readonly #topicIds = new Map<string, TopicId>();
  /** By broker id, the fetch session it holds for this fetcher, and the brokers a session request is out to. */
  readonly #sessions = new Map<number, FetchSession>();
  readonly #fetchingFrom = new Set<number>();
  readonly #leaders = new Map<string, readonly number[]>();
  readonly #fetchIds = new Map<string, string>();
  /** The other way round: by topic id (as fetches name topics from Fetch v13), its name. */
  readonly #namesByFetchId = new Map<string, string>();
  readonly #brokers = new Map<number, { readonly host: string; readonly port: number }>();
  /** By broker, the last request's partitions as a session names them (see #sessionPartitions). */
  readonly #lastWanted = new Map<
    number,
    {
      readonly partitions: readonly PartitionFetch[];
      readonly byName: boolean;
      readonly layout: number;
      readonly wanted: readonly SessionPartition[];
    }
  >();
  /** Raised by each layout load: topic ids may have changed. */
  #layoutLoads = 0;
  /** What the layouts loaded so far say, each topic as its latest load saw it. */
  readonly #layout: FetchLayout;
  #api: Promise<FetchApi> | undefined;

  constructor(consumer: Consumer, pool: ConnectionPool, clusterName: string, maxWaitMs: number) {
    this.#consumer = consumer;
    this.#pool = pool;
    this.#clusterName = clusterName;
    this.#maxWaitMs = maxWaitMs;
    this.#layout = { leaders: this.#leaders, topicIds: this.#fetchIds, brokers: this.#brokers };
  }

  /** The id `topic` had when its flow checked it: a topic of that name with another id is a re-created one. */
  expectTopicId(topic: string, topicId: TopicId | undefined): void {
    if (topicId !== undefined && topicId !== null) this.#topicIds.set(topic, topicId);
  }

  /**
   * Where each partition of `topics` has its leader, taken into this fetcher's layout (the one object every call
   * returns: topics not named keep what an earlier call loaded). Loading only the topics that need it keeps a
   * lane of thousands of topics from reading all their metadata each time one is attached. `refresh` asks the
   * cluster again instead of trusting the cache.
   * @throws TopicRecreated when a topic of that name now has another id: it is a new topic, whose offsets
   *   are not the old one's (fetches address topics by id, so the old id's fetches fail and come here).
   */
  async layout(topics: readonly string[], refresh: boolean): Promise<FetchLayout> {
    if (refresh) this.#consumer.clearMetadata();
    const metadata = await this.#consumer.metadata({
      topics: [...topics],
      forceUpdate: refresh,
      retries: METADATA_RETRIES,
    });
    this.#layoutLoads += 1;
    this.#brokers.clear();
    for (const [id, address] of metadata.brokers) this.#brokers.set(id, address);
    for (const name of topics) {
      const topic = metadata.topics.get(name);
      if (topic === undefined) continue;
      this.#checkTopicId(name, topicIdFromUuid(topic.id));
      this.#leaders.set(
        name,
        topic.partitions.map((partition) => partition.leader),
      );
      // A re-created topic's old id names nothing any more: an answer for it is not this topic's.
      const previousId = this.#fetchIds.get(name);
      if (previousId !== undefined && previousId !== topic.id) this.#namesByFetchId.delete(previousId);
      this.#fetchIds.set(name, topic.id);
      this.#namesByFetchId.set(topic.id, name);
    }
    return this.#layout;
  }

  /** Which of `topics` the cluster does not know (deleted, or not created yet), each by its own answer. */
  unknownTopics(topics: readonly string[]): Promise<string[]> {
    return unknownTopics(this.#consumer, topics);
  }

  #checkTopicId(topic: string, topicId: TopicId): void {
    if (topicId === null) return;
    const expected = this.#topicIds.get(topic);
    if (expected === undefined) this.#topicIds.set(topic, topicId);
    else if (expected !== null && topicId !== expected) {
      throw new TopicRecreated(this.#clusterName, { topic, expectedTopicId: expected, topicId });
    }
  }

  /**
   * One fetch request to broker `broker` for `partitions` (all led by it), at most `maxBytes` in all, held by the
   * broker until records come for at most `maxWaitMs` (the fetcher's by default). Rejects when the whole request
   * failed (network, timeout) or a partition failed in a way that does not heal (not authorized, …); a
   * partition's out-of-range or transient error is reported in its place.
   */
  async fetch(
    layout: FetchLayout,
    broker: number,
    partitions: readonly PartitionFetch[],
    maxBytes: number,
    maxWaitMs = this.#maxWaitMs,
  ): Promise<FetchedPartition[]> {
    const address = layout.brokers.get(broker);
    const known = (topic: string) => address !== undefined && layout.topicIds.has(topic);
    const limits = { maxBytes, maxWaitMs };
    if (partitions.every(({ topic }) => known(topic)))
      return await this.#fetchKnown(layout, broker, address!, partitions, limits);
    const retries: FetchedPartition[] = partitions
      .filter(({ topic }) => !known(topic))
      .map(({ topic, partition }) => ({
        kind: 'retry',
        topic,
        partition,
        error: new Error(`no broker ${broker} or topic ${topic} in the cluster's metadata`),
      }));
    const fetchable = partitions.filter(({ topic }) => known(topic));
    if (fetchable.length === 0) return retries;
    return [...retries, ...(await this.#fetchKnown(layout, broker, address!, fetchable, limits))];
  }

  async #fetchKnown(
    layout: FetchLayout,
    broker: number,
    address: { host: string; port: number },
    partitions: readonly PartitionFetch[],
    limits: { readonly maxBytes: number; readonly maxWaitMs: number },
  ): Promise<FetchedPartition[]> {
    const api = await this.#fetchApi();
    const connection = await this.#pool.get(address);
    const byName = api.version <= LAST_FETCH_VERSION_WITH_TOPIC_NAMES;
    const wanted = this.#sessionPartitions(layout, broker, partitions, byName);
    const send = (request: SessionRequest) => sendFetch(api, connection, request, limits);
    // A session needs its requests one at a time (each carries the next epoch), and topic ids
    let response: FetchResponse;
    if (byName || this.#fetchingFrom.has(broker)) {
      response = await send({
        sessionId: NO_SESSION_ID,
        epoch: NO_SESSION_EPOCH,
        partitions: wanted,
        forget: new Map(),
      });
      if (response.errorCode !== 0) throw new ProtocolError(response.errorCode);
    } else {
      this.#fetchingFrom.add(broker);
      try {
        response = await this.#sessionFetch(broker, wanted, send);
      } finally {
        this.#fetchingFrom.delete(broker);
      }
    }
    const fetched: FetchedPartition[] = [];
    // An idle lane's answers name no partition: the lookups below are made only for answers that do.
    if (response.responses.length === 0) return fetched;
    const offsets = new Map(
      partitions.map(({ topic, partition, offset }) => [partitionKey(topic, partition), offset]),
    );
    for (const answered of response.responses) {
      const topic = byName ? answered.topicId : this.#namesByFetchId.get(answered.topicId);
      if (topic === undefined) continue;
      for (const answer of answered.partitions) {
        const fetchOffset = offsets.get(partitionKey(topic, answer.partitionIndex));
        if (fetchOffset === undefined) continue;
        fetched.push(partitionOutcome(topic, answer, fetchOffset));
      }
    }
    return fetched;
  }

  /**
   * `partitions` as the session names them. The same request as last time (the fetch loop sends the same one
   * while nothing changes: fetch-requests.ts) gets the same list, which the session then compares by identity.
   */
  #sessionPartitions(
    layout: FetchLayout,
    broker: number,
    partitions: readonly PartitionFetch[],
    byName: boolean,
  ): readonly SessionPartition[] {
    const last = this.#lastWanted.get(broker);
    if (last?.partitions === partitions && last.byName === byName && last.layout === this.#layoutLoads)
      return last.wanted;
    const wanted = partitions.map(({ topic, partition, offset, maxBytes }) => {
      const topicKey = byName ? topic : layout.topicIds.get(topic)!;
      return { topicKey, partition, offset, maxBytes };
    });
    this.#lastWanted.set(broker, { partitions, byName, layout: this.#layoutLoads, wanted });
    return wanted;
  }

  /**
   * A fetch within the broker's session for us (fetch-session.ts): it answers only for partitions with records
   * or news. A session it lost (restarted, evicted it) is opened again at once with a request naming every partition.
   */
  async #sessionFetch(
    broker: number,
    wanted: readonly SessionPartition[],
    send: (request: SessionRequest) => Promise<FetchResponse>,
  ): Promise<FetchResponse> {
    const session = this.#sessions.get(broker);
    const request = sessionRequest(session, wanted);
    let response: FetchResponse;
    try {
      response = await send(request);
    } catch (error) {
      this.#sessions.delete(broker); // whether the broker took this epoch is unknown
      throw error;
    }
    if (response.errorCode !== 0) {
      this.#sessions.delete(broker);
      const id = protocolErrorsCodesById[response.errorCode];
      if (request.epoch !== OPENING_EPOCH && id !== undefined && SESSION_ERROR_IDS.has(id)) {
        return await this.#sessionFetch(broker, wanted, send);
      }
      throw new ProtocolError(response.errorCode);
    }
    const after = sessionAfter(session, request, wanted, response.sessionId);
    if (after === undefined) this.#sessions.delete(broker);
    else this.#sessions.set(broker, after);
    return response;
  }

  #fetchApi(): Promise<FetchApi> {
    this.#api ??= new Promise<FetchApi>((resolve, reject) => {
      const callback: Callback<FetchApi> = (error, api) => {
        if (api === undefined) return reject(error ?? new Error('no Fetch API'));
        const createRequest = REQUEST_WRITERS_KEEPING_BATCHES.get(api.version);
        resolve(createRequest === undefined ? api : fetchApiKeepingBatches(api.version, createRequest));
      };
      this.#consumer[kGetApi]('Fetch', callback);
    });
    this.#api.catch(() => {
      this.#api = undefined;
    });
    return this.#api;
  }
}
