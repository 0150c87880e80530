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
// The requests of a transaction are in transaction-requests.ts. A write that failed is settled by the next
// write of its partition, which claims the partition again first (see TransactionalSink.write in port.ts):
// so a flow can try a write again while the destination does not answer, and nothing is lost or doubled.
import type { ClusterConfig } from '../../config/types.js';
import { ClaimLost, type KafkaError } from '../errors.js';
import type {
  RecordToWrite,
  TransactionalSink,
  TransactionalSinkOptions,
  TransactionalWriteOptions,
  UnreachableListener,
  WrittenRange,
} from '../port.js';
import {
  DEFAULT_MAX_REQUEST_BYTES,
  RequestSizes,
  sendSplittingTooLarge,
  type WriteChunk,
  writeChunks,
} from '../write-chunks.js';
import { failedOnNetwork, kafkaErrorIds } from './map-error.js';
import { ProduceClient, TopicIdChecks } from './produce-client.js';
import { batchOf, nextSequence } from './record-batch.js';
import { type ProgressKey, type TransactionalProducer, TransactionRequests } from './transaction-requests.js';

/**
 * Answers that this producer cannot go on: another one claimed the transactional id since (fenced), or the
 * broker lost its state. Claiming the partition again helps (ClaimLost, a Retriable).
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

/**
 * A claimed partition's producer: its id and epoch since the claim, the partition's next sequence, and the
 * progress its last transaction committed (at first, the progress the claim read).
 */
interface ClaimedProducer extends TransactionalProducer {
  nextSequence: number;
  progress: bigint | null;
}

/**
 * A write that failed: the progress before it and the progress it was to store, and, once it had asked to
 * commit, the offsets its records got (the transaction may have committed although no answer said so).
 */
interface FailedWrite {
  readonly progressBefore: bigint | null;
  readonly nextOriginOffset: bigint;
  readonly writtenIfCommitted: readonly WrittenRange[] | null;
}

export class PlatformaticTransactionalSink implements TransactionalSink {
  readonly #clusterName: string;
  readonly #options: TransactionalSinkOptions;
  readonly #idChecks = new TopicIdChecks();
  readonly #client: ProduceClient;
  readonly #requests: TransactionRequests;
  readonly #producers = new Map<number, ClaimedProducer>();
  /** Per partition, its last write if that failed: the next write claims the partition again and settles it. */
  readonly #failedWrites = new Map<number, FailedWrite>();
  readonly #requestSizes: RequestSizes;
  #closed = false;

  constructor(config: ClusterConfig, options: TransactionalSinkOptions) {
    this.#clusterName = config.name;
    this.#options = options;
    this.#requestSizes = new RequestSizes(options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES);
    this.#client = new ProduceClient(config, 'transactions');
    this.#requests = new TransactionRequests(this.#client);
  }

  async claim(partition: number): Promise<bigint | null> {
    if (this.#closed) throw new Error('the transactional sink is closed');
    this.#failedWrites.delete(partition);
    return (await this.#claim(partition)).progress;
  }

  async write(
    partition: number,
    records: readonly RecordToWrite[],
    nextOriginOffset: bigint,
    options: TransactionalWriteOptions = {},
  ): Promise<readonly WrittenRange[]> {
    if (this.#closed) throw new Error('the transactional sink is closed');
    // Requests that close() cut short say nothing of the destination: neither reported nor Retriable.
    const report = options.onUnreachable;
    const onUnreachable = report && ((detail: string) => (this.#closed ? undefined : report(detail)));
    try {
      return await this.#write(partition, records, nextOriginOffset, { ...options, onUnreachable });
    } catch (error) {
      if (this.#closed) throw new Error('the transactional sink is closed', { cause: error });
      throw error;
    }
  }

  async #write(
    partition: number,
    records: readonly RecordToWrite[],
    nextOriginOffset: bigint,
    options: TransactionalWriteOptions,
  ): Promise<readonly WrittenRange[]> {
    const { topic } = this.#options;
    const { onUnreachable } = options;
    const failed = this.#failedWrites.get(partition);
    if (failed !== undefined) {
      const committed = await this.#settle(partition, failed, onUnreachable);
      // The same write tried again after its commit went unanswered: it is on the destination already.
      if (committed !== null && failed.nextOriginOffset === nextOriginOffset) return committed;
    }
    const producer = this.#producers.get(partition);
    if (producer === undefined) {
      throw new ClaimLost(
        this.#clusterName,
        `partition ${partition} of ${topic} is not claimed for transactions`,
      );
    }
    const progressBefore = producer.progress;
    let writtenIfCommitted: readonly WrittenRange[] | null = null;
    try {
      const written: WrittenRange[] = [];
      if (records.length > 0) {
        await this.#requests.addPartition(producer, topic, partition, onUnreachable);
        const compression = options.compression ?? this.#options.compression ?? 'none';
        const sizes = this.#requestSizes;
        for (const chunk of writeChunks(records, sizes.of(topic), compression, {
          maxForwardedBytes: sizes.forwardedAtMost(topic),
        })) {
          written.push(
            ...(await sendSplittingTooLarge(topic, chunk, compression, sizes, (each) =>
              this.#produce(producer, partition, each, onUnreachable),
            )),
          );
        }
      }
      await this.#requests.commitProgress(
        producer,
        this.#progressKey(partition),
        nextOriginOffset,
        onUnreachable,
      );
      writtenIfCommitted = written;
      await this.#requests.endTransaction(producer, true, onUnreachable);
      producer.progress = nextOriginOffset;
      return written;
    } catch (error) {
      // The producer's sequence or epoch may no longer match the broker's, or it was fenced, or the destination
      // did not answer: the partition must be claimed again, which the next write does (and that claim settles
      // this transaction). What the transaction holds is aborted now rather than then, so that read_committed
      // readers of the partition are not held up, unless the destination does not answer (the abort would
      // wait for it too). The abort fails when there is nothing to abort, or when the producer was fenced (the
      // claim that fenced it aborted it already).
      this.#producers.delete(partition);
      this.#failedWrites.set(partition, { progressBefore, nextOriginOffset, writtenIfCommitted });
      if (!failedOnNetwork(error))
        await this.#requests.endTransaction(producer, false).catch(() => undefined);
      throw this.#toPortError(error, `transactional write to ${topic}`, producer.transactionalId);
    }
  }

  async release(partitions: readonly number[]): Promise<void> {
    // Nothing to close: producers share the sink's connections. A transaction left open is aborted by the
    // next claim of its partition, or by the broker at its timeout.
    for (const partition of partitions) {
      this.#producers.delete(partition);
      this.#failedWrites.delete(partition);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#producers.clear();
    this.#failedWrites.clear();
    await this.#client.close();
  }

  /**
   * Claims the partition again after a failed write. InitProducerId waits until the failed write's transaction
   * is complete (aborting it unless its commit is under way), so the progress read then is final: still the
   * one before the write (it aborted), or the one it stored (it committed: the offsets its records got).
   * @throws ClaimLost when the progress is neither: another process wrote the partition since.
   */
  async #settle(
    partition: number,
    failed: FailedWrite,
    onUnreachable: UnreachableListener | undefined,
  ): Promise<readonly WrittenRange[] | null> {
    const { progress } = await this.#claim(partition, onUnreachable);
    this.#failedWrites.delete(partition);
    if (progress === failed.progressBefore) return null;
    if (failed.writtenIfCommitted !== null && progress === failed.nextOriginOffset)
      return failed.writtenIfCommitted;
    this.#producers.delete(partition);
    throw new ClaimLost(
      this.#clusterName,
      `the progress of partition ${partition} of ${this.#options.topic} is ${progress ?? 'none'}, neither ` +
        `${failed.progressBefore ?? 'none'} (before the write that failed) nor ${failed.nextOriginOffset} ` +
        '(after it): another process wrote the partition since; it must be claimed again',
    );
  }

  async #claim(partition: number, onUnreachable?: UnreachableListener): Promise<ClaimedProducer> {
    this.#producers.delete(partition);
    const transactionalId = `${this.#options.transactionalIdPrefix}.${partition}`;
    const operation = `claim partition ${partition} of ${this.#options.topic} for transactions`;
    try {
      const claimed = await this.#requests.initProducer(transactionalId, onUnreachable);
      const progress = await this.#storedProgress(partition, onUnreachable);
      const producer = { ...claimed, nextSequence: 0, progress };
      this.#producers.set(partition, producer);
      return producer;
    } catch (error) {
      throw this.#toPortError(error, operation, transactionalId);
    }
  }

  async #produce(
    producer: ClaimedProducer,
    partition: number,
    chunk: WriteChunk,
    onUnreachable: UnreachableListener | undefined,
  ): Promise<WrittenRange> {
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
      onUnreachable,
    );
    producer.nextSequence = nextSequence(producer.nextSequence, chunk.records.length);
    return {
      firstOffset,
      batchBytes: batch.length,
      recordCount: chunk.records.length,
      forwarded: chunk.forward !== undefined,
    };
  }

  /** The partition's progress in the progress group, else in the previous one (an upgrade), else null. */
  async #storedProgress(partition: number, onUnreachable?: UnreachableListener): Promise<bigint | null> {
    const { previousProgressGroupId } = this.#options;
    const progress = await this.#requests.storedProgress(this.#progressKey(partition), onUnreachable);
    if (progress !== null || previousProgressGroupId === undefined) return progress;
    return await this.#requests.storedProgress(
      { ...this.#progressKey(partition), progressGroupId: previousProgressGroupId },
      onUnreachable,
    );
  }

  #progressKey(partition: number): ProgressKey {
    return { progressGroupId: this.#options.progressGroupId, topic: this.#options.topic, partition };
  }

  #toPortError(error: unknown, operation: string, transactionalId: string): KafkaError {
    const ids = [...kafkaErrorIds(error)].filter((id) => CLAIM_AGAIN_IDS.has(id));
    if (ids.length > 0) {
      return new ClaimLost(
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
