// RecordSink on @platformatic/kafka's protocol layer: an idempotent producer of georep's own, built from raw
// requests (see produce-client.ts for why not the library's Producer). Records go to exactly the partition
// given, in batches encoded by record-batch.ts (byte-exact keys, values, headers and CreateTime timestamps).
//
// Idempotence: the sink has one producer id (InitProducerId) and a sequence per partition. A retry resends
// the same batch with the same sequence, so the broker stores it once and answers every try with the same
// offset. After a write fails, nobody knows how far the broker got with that partition's sequence: the next
// write starts over with a new producer id. Writes already in flight under the old id finish normally (each
// request names its producer id).
//
// A write of several requests sends up to PIPELINE_DEPTH of them before the first is answered, as Kafka's
// producer does (pipelined-sends.ts), once the broker knows this producer's sequence for the partition: it then
// refuses a batch whose sequence does not follow the last it stored (OUT_OF_ORDER_SEQUENCE_NUMBER), so a request
// behind one that was not stored is refused too, and nothing lands out of order. After a failure the write waits
// for every request out and goes on one request at a time from the one that failed, under the same producer id
// (even if another partition's failure gave it up meanwhile) and with the same sequences: a batch that was
// stored although its answer was lost is stored once, and answered with its offset (the broker remembers a
// producer's last five batches per partition). A partition the broker does not know this producer for takes
// any sequence, so there the first request goes alone.
import { initProducerIdV4 } from '@platformatic/kafka';
import type { ClusterConfig } from '../../config/types.js';
import {
  AuthorizationFailed,
  PartitionNotFound,
  RecordTooLarge,
  TopicNotFound,
  TopicRecreated,
} from '../errors.js';
import { laneOf, PartitionQueues } from '../partition-queues.js';
import { sendPipelined } from '../pipelined-sends.js';
import type {
  CompressionSetting,
  RecordSink,
  RecordSinkOptions,
  RecordToWrite,
  TopicId,
  UnreachableListener,
  WriteOptions,
  WrittenRange,
} from '../port.js';
import {
  DEFAULT_MAX_REQUEST_BYTES,
  MIN_FORWARDED_SHARE_OF_REQUEST,
  RequestSizes,
  sendSplittingTooLarge,
  type WriteChunk,
  writeChunks,
} from '../write-chunks.js';
import { failedOnNetwork, innermostMessage, kafkaErrorIds } from './map-error.js';
import { ProduceClient, TopicIdChecks, TRANSACTION_TIMEOUT_MS } from './produce-client.js';
import {
  type BatchProducer,
  batchOf,
  encodeAhead,
  nextSequence,
  type PreparedChunk,
} from './record-batch.js';

/**
 * Clients per sink, each with its own connection per broker; a partition always writes through the same one.
 * A broker handles a connection's requests one at a time (with acks=all, waiting for the replicas before the
 * next), so requests of different partitions share the brokers' time only over several connections.
 */
const CLIENT_LANES = 3;
/** Answers that the broker no longer knows this producer's sequence for the partition. */
const PRODUCER_STATE_LOST_IDS = new Set(['UNKNOWN_PRODUCER_ID', 'OUT_OF_ORDER_SEQUENCE_NUMBER']);
/** The partition's own sequence starts at 0 for every new producer id. */
const FIRST_SEQUENCE = 0;
/**
 * Requests of one partition out at once: Kafka's limit for an idempotent producer, as the broker checks for a
 * resent batch among the last five it stored of the producer on the partition.
 */
const PIPELINE_DEPTH = 5;
/**
 * How long after a partition's last answer the broker is taken to still know this producer's sequence there. It
 * forgets after producer.id.expiration.ms (a day by default), or once retention or DeleteRecords removed all the
 * producer's batches there: either takes far longer than this after a write, in a topic anybody replicates.
 */
const SEQUENCE_KNOWN_MS = 10_000;
/**
 * The smallest origin batch forwarded as it came, as a share of a request: a quarter of the default (32 KiB of
 * records), as a partition's requests go several at a time. It forwards the zstd batches of a producer with
 * Kafka's defaults (about 100 KiB of JSON; encoding them again took about half of georep's CPU) and most of
 * those its linger closed early: the copy takes the origin's bytes within 3% (docs/wan.md).
 */
const MIN_FORWARDED_SHARE = MIN_FORWARDED_SHARE_OF_REQUEST / 4;

/** Where a batch landed, how many bytes it took on the wire, and whether it was an origin batch forwarded. */
interface SentBatch {
  readonly firstOffset: bigint;
  readonly batchBytes: number;
  readonly forwarded: boolean;
}

/** Where a write goes: the topic's id is the one the flow checked (null: not checked). */
interface WriteTarget {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: TopicId;
  readonly onUnreachable: UnreachableListener | undefined;
}

/** The producer id batches are written under, with the next sequence of each partition. */
interface ProducerIdentity {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly sequences: Map<string, number>;
  /**
   * When the last batch each partition stored of this producer's was sent. Only one sent after the sink last
   * forgot its topic counts: the answer to a request sent before cannot vouch for a topic created again since.
   */
  readonly storedSentAtMs: Map<string, number>;
}

/** What a batch is written with: its partition's client, and the producer id with the promise it came from. */
interface Writer {
  readonly lane: ProduceClient;
  readonly identity: ProducerIdentity;
  readonly identityPromise: Promise<ProducerIdentity>;
}

export class PlatformaticSink implements RecordSink {
  readonly #compression: CompressionSetting;
  readonly #requestSizes: RequestSizes;
  readonly #lanes: ProduceClient[];
  readonly #queues = new PartitionQueues();
  readonly #idChecks = new TopicIdChecks();
  /** The id of each topic as the last write named it. */
  readonly #topicIds = new Map<string, TopicId>();
  /** When the sink last forgot each topic it forgot (#forgetTopic). */
  readonly #topicForgottenAtMs = new Map<string, number>();
  /** Undefined until the first write, and again after a failed write gave it up. */
  #identity: Promise<ProducerIdentity> | undefined;
  #closed = false;

  constructor(config: ClusterConfig, options: RecordSinkOptions = {}) {
    this.#compression = options.compression ?? 'none';
    this.#requestSizes = new RequestSizes(options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES);
    this.#lanes = Array.from(
      { length: CLIENT_LANES },
      (_, lane) => new ProduceClient(config, `sink-${lane}`),
    );
  }

  write(
    topic: string,
    partition: number,
    records: readonly RecordToWrite[],
    options: WriteOptions = {},
  ): Promise<readonly WrittenRange[]> {
    if (this.#closed) return Promise.reject(new Error('the sink is closed'));
    const target = {
      topic,
      partition,
      topicId: options.topicId ?? null,
      onUnreachable: options.onUnreachable,
    };
    const compression = options.compression ?? this.#compression;
    if (target.topicId !== null) {
      const knownId = this.#topicIds.get(topic);
      if (knownId !== undefined && knownId !== target.topicId) this.#forgetTopic(topic);
      this.#topicIds.set(topic, target.topicId);
    }
    return this.#queues.run(topic, partition, () => this.#send(target, records, compression));
  }

  /**
   * A write names another id for `topic` than the writes before it: the topic was deleted and created again
   * (by georep, say, after its origin topic went). What the sink knew of the old one goes, so that the new one
   * is looked up afresh and starts at sequence 0. Writes in progress finish.
   */
  #forgetTopic(topic: string): void {
    this.#topicForgottenAtMs.set(topic, Date.now());
    for (const lane of this.#lanes) lane.forgetTopic(topic);
    this.#requestSizes.forget(topic);
    void this.#identity
      ?.then((identity) => {
        for (const key of identity.sequences.keys()) {
          if (key.slice(0, key.lastIndexOf('\u0000')) !== topic) continue;
          identity.sequences.delete(key);
          identity.storedSentAtMs.delete(key);
        }
      })
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#queues.settled();
    await Promise.all(this.#lanes.map((lane) => lane.close()));
  }

  async #send(
    target: WriteTarget,
    records: readonly RecordToWrite[],
    compression: CompressionSetting,
  ): Promise<readonly WrittenRange[]> {
    const written: WrittenRange[] = [];
    const sizes = this.#requestSizes;
    const chunks = writeChunks(records, sizes.of(target.topic), compression, {
      maxForwardedBytes: sizes.forwardedAtMost(target.topic),
      minForwardedShare: MIN_FORWARDED_SHARE,
    });
    /** The pipeline's producer id, which the rest of the write keeps to once it failed; undefined before. */
    let pipelined: Writer | undefined;
    // The next chunk is encoded while this one is written: compressing takes about as long as a round trip to
    // a near broker.
    let next = chunks.length > 0 ? encodeAhead(chunks[0]!) : undefined;
    for (let index = 0; next !== undefined; ) {
      const sent =
        pipelined !== undefined || chunks.length - index < 2
          ? undefined
          : await this.#sendPipelined(target, chunks.slice(index), next);
      if (sent !== undefined) {
        pipelined = sent.writer;
        written.push(...sent.written);
        index += sent.written.length;
        // After a failure, the rest go one request at a time, from the one that failed.
        next = index < chunks.length ? encodeAhead(chunks[index]!) : undefined;
        continue;
      }
      const chunk = next;
      next = index + 1 < chunks.length ? encodeAhead(chunks[index + 1]!) : undefined;
      written.push(
        ...(await sendSplittingTooLarge(target.topic, chunk, compression, this.#requestSizes, (each) =>
          this.#sendChunkThatFits(target, each, pipelined),
        )),
      );
      index += 1;
    }
    return written;
  }

  /**
   * Sends `chunks` (the first already prepared) up to PIPELINE_DEPTH at a time; what was written, in order, up to
   * the first request that failed, and the producer id it was written under. The partition's sequence is then
   * that request's again, for the write to send it, and those after it, one at a time under that producer id.
   * Undefined, with nothing sent, unless the partition stored a batch of this producer's sent within
   * SEQUENCE_KNOWN_MS.
   */
  async #sendPipelined(
    target: WriteTarget,
    chunks: readonly WriteChunk[],
    first: PreparedChunk,
  ): Promise<{ written: WrittenRange[]; writer: Writer } | undefined> {
    const writer = await this.#writer(target);
    const { lane, identity } = writer;
    const key = sequenceKeyOf(target);
    const storedSentAtMs = identity.storedSentAtMs.get(key);
    if (storedSentAtMs === undefined || Date.now() - storedSentAtMs >= SEQUENCE_KNOWN_MS) return undefined;
    if (storedSentAtMs <= (this.#topicForgottenAtMs.get(target.topic) ?? Number.NEGATIVE_INFINITY))
      return undefined;
    const produceTarget = { ...target, transactionalId: null };
    let upcoming = first;
    const sequenceAt: number[] = [];
    let sequence = identity.sequences.get(key) ?? FIRST_SEQUENCE;
    const outcome = await sendPipelined(chunks.length, PIPELINE_DEPTH, async (index) => {
      const chunk = upcoming;
      if (index + 1 < chunks.length) upcoming = encodeAhead(chunks[index + 1]!);
      sequenceAt.push(sequence);
      const batch = await batchOf(chunk, producerOf(identity, sequence));
      sequence = nextSequence(sequence, chunk.records.length);
      identity.sequences.set(key, sequence);
      const sentAtMs = Date.now();
      const { answer } = await lane.dispatch(produceTarget, batch, target.onUnreachable);
      return {
        answer: answer.then((firstOffset) => {
          storedSent(identity, key, sentAtMs);
          return {
            firstOffset,
            batchBytes: batch.length,
            forwarded: chunk.forward !== undefined,
            recordCount: chunk.records.length,
          };
        }),
      };
    });
    if (outcome.failure !== undefined) identity.sequences.set(key, sequenceAt[outcome.failure.index]!);
    return { written: outcome.results, writer };
  }

  /**
   * Sends one request, and once more gzip-compressed if the broker refused one record as too large
   * uncompressed: Kafka's max.message.bytes limits a batch as stored, compressed, so a record the origin took
   * compressed can be too large for the same limit uncompressed (requests of several records are split
   * instead, sendSplittingTooLarge). The broker refused the whole batch, so sending it again cannot duplicate
   * anything.
   */
  async #sendChunkThatFits(
    target: WriteTarget,
    chunk: PreparedChunk,
    pinned: Writer | undefined,
  ): Promise<WrittenRange> {
    try {
      return { ...(await this.#sendChunkOnce(target, chunk, pinned)), recordCount: chunk.records.length };
    } catch (error) {
      const oneUncompressedRecord =
        chunk.codec === 'none' && chunk.forward === undefined && chunk.records.length === 1;
      if (!(error instanceof RecordTooLarge) || !oneUncompressedRecord) throw error;
      const gzipped = { records: chunk.records, codec: 'gzip' as const };
      return { ...(await this.#sendChunkOnce(target, gzipped, pinned)), recordCount: chunk.records.length };
    }
  }

  /**
   * Sends one request, and once more under a new producer id if the broker refused it for a sequence or
   * producer id it does not know (its producer state expired, e.g. after a day without writes to the
   * partition): the broker refused this batch, so sending it again cannot duplicate it. The topic is looked
   * up afresh before the batch goes again, in case it was deleted and created again meanwhile.
   */
  async #sendChunkOnce(
    target: WriteTarget,
    chunk: PreparedChunk,
    pinned: Writer | undefined,
  ): Promise<SentBatch> {
    try {
      return await this.#sendChunk(target, chunk, pinned);
    } catch (error) {
      if (![...kafkaErrorIds(error)].some((id) => PRODUCER_STATE_LOST_IDS.has(id))) throw error;
      for (const lane of this.#lanes) lane.forgetTopic(target.topic);
      return await this.#sendChunk(target, chunk);
    }
  }

  /** Sends one request under `pinned`'s producer id if given (a pipeline's, after it failed), else the sink's. */
  async #sendChunk(target: WriteTarget, chunk: PreparedChunk, pinned?: Writer): Promise<SentBatch> {
    const { lane, identity, identityPromise } = pinned ?? (await this.#writer(target));
    const key = sequenceKeyOf(target);
    const baseSequence = identity.sequences.get(key) ?? FIRST_SEQUENCE;
    const batch = await batchOf(chunk, producerOf(identity, baseSequence));
    const sentAtMs = Date.now();
    try {
      const firstOffset = await lane.produce(
        { ...target, transactionalId: null },
        batch,
        target.onUnreachable,
      );
      identity.sequences.set(key, nextSequence(baseSequence, chunk.records.length));
      storedSent(identity, key, sentAtMs);
      return { firstOffset, batchBytes: batch.length, forwarded: chunk.forward !== undefined };
    } catch (error) {
      // A request refused as a whole (too large, a missing topic or partition, no ACL) left the sequence where
      // it was; any other failure may have stored the batch or not, so the partition's sequence is unknown.
      if (this.#identity === identityPromise && !refusedWhole(error)) this.#identity = undefined;
      throw error;
    }
  }

  /** The partition's client and the producer id to write with, after the topic's id check if one is due. */
  async #writer(target: WriteTarget): Promise<Writer> {
    const { topic, partition } = target;
    const lane = this.#lanes[laneOf(topic, partition, CLIENT_LANES)]!;
    // Every lane drops the topic when its id is due for a check: each lane is a client of its own, and the
    // check is due once per topic, so a lane left out would write on into a re-created topic.
    if (target.topicId !== null && this.#idChecks.due(topic))
      for (const each of this.#lanes) each.forgetTopic(topic);
    const identityPromise = this.#producerIdentity(lane);
    try {
      return { lane, identity: await identityPromise, identityPromise };
    } catch (error) {
      if (this.#identity === identityPromise) this.#identity = undefined;
      if (failedOnNetwork(error)) target.onUnreachable?.(`InitProducerId failed: ${innermostMessage(error)}`);
      throw lane.toPortError(error, `start an idempotent producer for topic ${topic}`, topic);
    }
  }

  #producerIdentity(lane: ProduceClient): Promise<ProducerIdentity> {
    this.#identity ??= lane
      // No transactional id: a new producer id, epoch 0 (the broker ignores the transaction timeout).
      .onAnyBroker((connection) => initProducerIdV4.api.async(connection, null, TRANSACTION_TIMEOUT_MS))
      .then(({ producerId, producerEpoch }) => ({
        producerId,
        producerEpoch,
        sequences: new Map(),
        storedSentAtMs: new Map(),
      }));
    return this.#identity;
  }
}

function refusedWhole(error: unknown): boolean {
  return [RecordTooLarge, TopicNotFound, TopicRecreated, PartitionNotFound, AuthorizationFailed].some(
    (refusal) => error instanceof refusal,
  );
}

function sequenceKeyOf({ topic, partition }: WriteTarget): string {
  return `${topic}\u0000${partition}`;
}

/** Who writes a batch starting at `baseSequence`: this sink's idempotent producer, outside any transaction. */
function producerOf(identity: ProducerIdentity, baseSequence: number): BatchProducer {
  const { producerId, producerEpoch } = identity;
  return { producerId, producerEpoch, baseSequence, transactional: false };
}

/** The partition stored a batch sent at `sentAtMs` (answers can come out of the order requests were sent in). */
function storedSent(identity: ProducerIdentity, key: string, sentAtMs: number): void {
  identity.storedSentAtMs.set(key, Math.max(sentAtMs, identity.storedSentAtMs.get(key) ?? sentAtMs));
}
