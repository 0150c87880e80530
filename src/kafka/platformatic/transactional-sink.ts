// TransactionalSink on @platformatic/kafka's protocol layer: one transactional producer per destination
// partition, built from raw requests like the plain sink (sink.ts, produce-client.ts).
//
// Why one transactional id per partition: partitions of a flow move between georep processes with the
// consumer group, and the process that takes a partition over must fence exactly the producer that wrote it
// before; with an id per partition, its claim (InitProducerId) bumps that id's epoch and aborts that
// producer's open transaction, and nothing else.
//
// Why raw requests and not the library's Producer transactions: the progress is committed to a destination
// group that no consumer ever joins, and the library commits offsets in a transaction only for a message it
// consumed (`Transaction.addConsumer` + `addOffset` take the group, generation and member id from the
// consumer). Kafka accepts a transactional offset commit without a member (generation -1, empty member id),
// as Java's `sendOffsetsToTransaction(offsets, groupId)` sends it. See docs/platformatic-corrections.md.
//
// A transaction: AddPartitionsToTxn (v3: versions 4 and up are for brokers) + Produce (transactional batches)
// + AddOffsetsToTxn + TxnOffsetCommit of (topic, partition) → next origin offset to the progress group +
// EndTxn. The progress names the destination topic because a group coordinator accepts transactional offsets
// only for topics its own cluster hosts.
import {
  addOffsetsToTxnV3,
  addPartitionsToTxnV3,
  type Connection,
  endTxnV3,
  initProducerIdV4,
  offsetFetchV8,
  txnOffsetCommitV3,
} from '@platformatic/kafka';
import type { ClusterConfig } from '../../config/types.js';
import { type KafkaError, RecordTooLarge, Retriable } from '../errors.js';
import type {
  CompressionSetting,
  RecordToWrite,
  TransactionalSink,
  TransactionalSinkOptions,
  WrittenRange,
} from '../port.js';
import { DEFAULT_MAX_REQUEST_BYTES, encodedChunks, type WriteChunk, writeChunks } from '../write-chunks.js';
import { kafkaErrorIds } from './map-error.js';
import {
  answeredOrUnreachable,
  ProduceClient,
  TopicIdChecks,
  TRANSACTION_TIMEOUT_MS,
  withRetries,
} from './produce-client.js';
import { batchOf, nextSequence } from './record-batch.js';

/**
 * Tries of a claim while the previous holder's transaction is still being aborted (CONCURRENT_TRANSACTIONS),
 * about 35 s with the waits between them.
 */
const CLAIM_ATTEMPTS = 20;
/** No consumer joins the progress group: offsets are committed outside any generation, without a member. */
const NO_GENERATION = -1;
const NO_MEMBER = '';
const NO_LEADER_EPOCH = -1;
/** Answers that the same transactional request can succeed a moment later, or at the coordinator found anew. */
const TRANSIENT_TRANSACTION_IDS = new Set([
  'CONCURRENT_TRANSACTIONS',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'UNSTABLE_OFFSET_COMMIT',
  'REQUEST_TIMED_OUT',
]);
/**
 * Answers that this producer cannot go on: another one claimed the transactional id since (fenced), or the
 * broker lost its state. Claiming the partition again helps, so the write is Retriable.
 */
const CLAIM_AGAIN_IDS = new Set([
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'INVALID_TXN_STATE',
  'TRANSACTION_COORDINATOR_FENCED',
  'UNKNOWN_PRODUCER_ID',
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
]);
const isTransient = (error: unknown) => answeredOrUnreachable(error, TRANSIENT_TRANSACTION_IDS);

/** A claimed partition's producer: its id and epoch since the claim, and the partition's next sequence. */
interface ClaimedProducer {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  nextSequence: number;
}

export class PlatformaticTransactionalSink implements TransactionalSink {
  readonly #clusterName: string;
  readonly #options: TransactionalSinkOptions;
  readonly #idChecks = new TopicIdChecks();
  readonly #client: ProduceClient;
  readonly #producers = new Map<number, ClaimedProducer>();
  #closed = false;

  constructor(config: ClusterConfig, options: TransactionalSinkOptions) {
    this.#clusterName = config.name;
    this.#options = options;
    this.#client = new ProduceClient(config, 'transactions');
  }

  async claim(partition: number): Promise<bigint | null> {
    if (this.#closed) throw new Error('the transactional sink is closed');
    this.#producers.delete(partition);
    const transactionalId = `${this.#options.transactionalIdPrefix}.${partition}`;
    const operation = `claim partition ${partition} of ${this.#options.topic} for transactions`;
    try {
      // InitProducerId bumps the id's epoch (fencing every earlier holder) and aborts its open transaction;
      // while that abort is being written the coordinator answers CONCURRENT_TRANSACTIONS, and we wait.
      const { producerId, producerEpoch } = await withRetries(
        isTransient,
        async (attempt) =>
          await initProducerIdV4.api.async(
            await this.#client.coordinatorConnection('transaction', transactionalId, attempt > 1),
            transactionalId,
            TRANSACTION_TIMEOUT_MS,
            -1n,
            -1,
          ),
        CLAIM_ATTEMPTS,
      );
      const progress = await this.#storedProgress(partition);
      this.#producers.set(partition, { transactionalId, producerId, producerEpoch, nextSequence: 0 });
      return progress;
    } catch (error) {
      throw this.#toPortError(error, operation, transactionalId);
    }
  }

  async write(
    partition: number,
    records: readonly RecordToWrite[],
    nextOriginOffset: bigint,
    compression: CompressionSetting = this.#options.compression ?? 'none',
  ): Promise<readonly WrittenRange[]> {
    const { topic } = this.#options;
    const producer = this.#producers.get(partition);
    if (producer === undefined) {
      throw new Retriable(
        this.#clusterName,
        `partition ${partition} of ${topic} is not claimed for transactions`,
      );
    }
    try {
      const written: WrittenRange[] = [];
      if (records.length > 0) {
        await this.#onTransactionCoordinator(producer, (connection) =>
          addPartitionsToTxnV3.api.async(connection, [
            {
              transactionalId: producer.transactionalId,
              producerId: producer.producerId,
              producerEpoch: producer.producerEpoch,
              verifyOnly: false,
              topics: [{ name: topic, partitions: [partition] }],
            },
          ]),
        );
        const maxRequestBytes = this.#options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
        for (const chunk of writeChunks(records, maxRequestBytes, compression)) {
          written.push(...(await this.#produceForwardedOrEncoded(producer, partition, chunk, compression)));
        }
      }
      await this.#onTransactionCoordinator(producer, (connection) =>
        addOffsetsToTxnV3.api.async(
          connection,
          producer.transactionalId,
          producer.producerId,
          producer.producerEpoch,
          this.#options.progressGroupId,
        ),
      );
      await this.#commitProgress(producer, partition, nextOriginOffset);
      await this.#endTransaction(producer, true);
      return written;
    } catch (error) {
      // The producer's sequence or epoch may no longer match the broker's, or it was fenced: the partition
      // must be claimed again. What the transaction holds is aborted now rather than at its timeout, so that
      // read_committed readers of the partition are not held up. The abort fails when there is nothing to
      // abort, or when the producer was fenced (the claim that fenced it aborted it already).
      this.#producers.delete(partition);
      await this.#endTransaction(producer, false).catch(() => undefined);
      throw this.#toPortError(error, `transactional write to ${topic}`, producer.transactionalId);
    }
  }

  async release(partitions: readonly number[]): Promise<void> {
    // Nothing to close: producers share the sink's connections. A transaction left open is aborted by the
    // next claim of its partition, or by the broker at its timeout.
    for (const partition of partitions) this.#producers.delete(partition);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#producers.clear();
    await this.#client.close();
  }

  /**
   * Writes a chunk; an origin batch the destination refused as too large (the broker refused it whole, so the
   * sequence is where it was) goes again encoded, in requests of at most maxRequestBytes.
   */
  async #produceForwardedOrEncoded(
    producer: ClaimedProducer,
    partition: number,
    chunk: WriteChunk,
    compression: CompressionSetting,
  ): Promise<WrittenRange[]> {
    try {
      return [await this.#produce(producer, partition, chunk)];
    } catch (error) {
      if (!(error instanceof RecordTooLarge) || chunk.forward === undefined) throw error;
    }
    const written: WrittenRange[] = [];
    const maxRequestBytes = this.#options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    for (const encoded of encodedChunks(chunk.records, maxRequestBytes, compression)) {
      written.push(await this.#produce(producer, partition, encoded));
    }
    return written;
  }

  async #produce(producer: ClaimedProducer, partition: number, chunk: WriteChunk): Promise<WrittenRange> {
    const batch = await batchOf(chunk, {
      producerId: producer.producerId,
      producerEpoch: producer.producerEpoch,
      baseSequence: producer.nextSequence,
      transactional: true,
    });
    const { topic, topicId = null } = this.#options;
    if (topicId !== null && this.#idChecks.due(topic)) this.#client.forgetTopic(topic);
    const firstOffset = await this.#client.produce(
      { topic, partition, transactionalId: producer.transactionalId, topicId },
      batch,
    );
    producer.nextSequence = nextSequence(producer.nextSequence, chunk.records.length);
    return {
      firstOffset,
      batchBytes: batch.length,
      recordCount: chunk.records.length,
      forwarded: chunk.forward !== undefined,
    };
  }

  /** TxnOffsetCommit: the progress group's offset for (topic, partition), visible when the transaction commits. */
  async #commitProgress(
    producer: ClaimedProducer,
    partition: number,
    nextOriginOffset: bigint,
  ): Promise<void> {
    const { topic, progressGroupId } = this.#options;
    await withRetries(isTransient, async (attempt) =>
      txnOffsetCommitV3.api.async(
        await this.#client.coordinatorConnection('group', progressGroupId, attempt > 1),
        producer.transactionalId,
        progressGroupId,
        producer.producerId,
        producer.producerEpoch,
        NO_GENERATION,
        NO_MEMBER,
        null,
        [
          {
            name: topic,
            partitions: [
              {
                partitionIndex: partition,
                committedOffset: nextOriginOffset,
                committedLeaderEpoch: NO_LEADER_EPOCH,
                committedMetadata: null,
              },
            ],
          },
        ],
      ),
    );
  }

  async #endTransaction(producer: ClaimedProducer, commit: boolean): Promise<void> {
    await this.#onTransactionCoordinator(producer, (connection) =>
      endTxnV3.api.async(
        connection,
        producer.transactionalId,
        producer.producerId,
        producer.producerEpoch,
        commit,
      ),
    );
  }

  /** The committed progress of the partition, waiting out transactional offsets not yet committed or aborted. */
  async #storedProgress(partition: number): Promise<bigint | null> {
    const { topic, progressGroupId } = this.#options;
    const response = await withRetries(isTransient, async (attempt) =>
      offsetFetchV8.api.async(
        await this.#client.coordinatorConnection('group', progressGroupId, attempt > 1),
        [
          {
            groupId: progressGroupId,
            memberEpoch: -1,
            topics: [{ name: topic, partitionIndexes: [partition] }],
          },
        ],
        true,
      ),
    );
    const offset = response.groups[0]?.topics
      .find((entry) => entry.name === topic)
      ?.partitions.find((entry) => entry.partitionIndex === partition)?.committedOffset;
    return offset === undefined || offset < 0n ? null : offset;
  }

  async #onTransactionCoordinator<Result>(
    producer: ClaimedProducer,
    request: (connection: Connection) => Promise<Result>,
  ): Promise<Result> {
    return await withRetries(isTransient, async (attempt) =>
      request(await this.#client.coordinatorConnection('transaction', producer.transactionalId, attempt > 1)),
    );
  }

  #toPortError(error: unknown, operation: string, transactionalId: string): KafkaError {
    const ids = [...kafkaErrorIds(error)].filter((id) => CLAIM_AGAIN_IDS.has(id));
    if (ids.length > 0) {
      return new Retriable(
        this.#clusterName,
        `${operation}: ${ids.join(', ')}; the partition must be claimed again`,
        {
          cause: error,
        },
      );
    }
    return this.#client.toPortError(error, operation, this.#options.topic, {
      groupId: this.#options.progressGroupId,
      transactionalId,
    });
  }
}
