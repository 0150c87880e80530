// The requests of a transactional producer to its coordinators, raw (see transactional-sink.ts for why): each
// is tried again while the coordinator answers that it can succeed a moment later or fails on the network, and
// a network failure is told at once to the write's UnreachableListener (the flow shows `stalled`).
//
// A transaction: AddPartitionsToTxn (v3: versions 4 and up are for brokers) + Produce (transactional batches,
// sent by the sink) + AddOffsetsToTxn + TxnOffsetCommit of (topic, partition) → next origin offset to the
// progress group + EndTxn. The progress names the destination topic because a group coordinator accepts
// transactional offsets only for topics its own cluster hosts.
import {
  addOffsetsToTxnV3,
  addPartitionsToTxnV3,
  type Connection,
  endTxnV3,
  initProducerIdV4,
  offsetFetchV8,
  txnOffsetCommitV3,
} from '@platformatic/kafka';
import type { UnreachableListener } from '../port.js';
import { failedOnNetwork, innermostMessage } from './map-error.js';
import {
  answeredOrUnreachable,
  type CoordinatorKeyType,
  type ProduceClient,
  TRANSACTION_TIMEOUT_MS,
  withRetries,
} from './produce-client.js';

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
const isTransient = (error: unknown) => answeredOrUnreachable(error, TRANSIENT_TRANSACTION_IDS);

/** A transactional producer as its coordinator knows it since its InitProducerId. */
export interface TransactionalProducer {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/** Where a partition's progress is committed: the progress group's offset of (topic, partition). */
export interface ProgressKey {
  readonly progressGroupId: string;
  readonly topic: string;
  readonly partition: number;
}

export class TransactionRequests {
  readonly #client: ProduceClient;

  constructor(client: ProduceClient) {
    this.#client = client;
  }

  /**
   * InitProducerId: bumps the id's epoch (fencing every earlier holder) and aborts its open transaction; while
   * that abort, or a commit under way, is being written the coordinator answers CONCURRENT_TRANSACTIONS, and
   * we wait, so the transaction is complete when this resolves.
   */
  async initProducer(
    transactionalId: string,
    onUnreachable: UnreachableListener | undefined,
  ): Promise<TransactionalProducer> {
    const { producerId, producerEpoch } = await this.#onCoordinator(
      'transaction',
      transactionalId,
      'InitProducerId',
      (connection) =>
        initProducerIdV4.api.async(connection, transactionalId, TRANSACTION_TIMEOUT_MS, -1n, -1),
      onUnreachable,
      CLAIM_ATTEMPTS,
    );
    return { transactionalId, producerId, producerEpoch };
  }

  async addPartition(
    producer: TransactionalProducer,
    topic: string,
    partition: number,
    onUnreachable: UnreachableListener | undefined,
  ): Promise<void> {
    await this.#onTransactionCoordinator(
      producer,
      'AddPartitionsToTxn',
      (connection) =>
        addPartitionsToTxnV3.api.async(connection, [
          {
            transactionalId: producer.transactionalId,
            producerId: producer.producerId,
            producerEpoch: producer.producerEpoch,
            verifyOnly: false,
            topics: [{ name: topic, partitions: [partition] }],
          },
        ]),
      onUnreachable,
    );
  }

  /** AddOffsetsToTxn, then TxnOffsetCommit: the progress, visible when the transaction commits. */
  async commitProgress(
    producer: TransactionalProducer,
    { progressGroupId, topic, partition }: ProgressKey,
    nextOriginOffset: bigint,
    onUnreachable: UnreachableListener | undefined,
  ): Promise<void> {
    const { transactionalId, producerId, producerEpoch } = producer;
    await this.#onTransactionCoordinator(
      producer,
      'AddOffsetsToTxn',
      (connection) =>
        addOffsetsToTxnV3.api.async(connection, transactionalId, producerId, producerEpoch, progressGroupId),
      onUnreachable,
    );
    const partitions = [
      {
        partitionIndex: partition,
        committedOffset: nextOriginOffset,
        committedLeaderEpoch: NO_LEADER_EPOCH,
        committedMetadata: null,
      },
    ];
    await this.#onCoordinator(
      'group',
      progressGroupId,
      'TxnOffsetCommit',
      (connection) =>
        txnOffsetCommitV3.api.async(
          connection,
          transactionalId,
          progressGroupId,
          producerId,
          producerEpoch,
          NO_GENERATION,
          NO_MEMBER,
          null,
          [{ name: topic, partitions }],
        ),
      onUnreachable,
    );
  }

  async endTransaction(
    producer: TransactionalProducer,
    commit: boolean,
    onUnreachable?: UnreachableListener,
  ): Promise<void> {
    const { transactionalId, producerId, producerEpoch } = producer;
    await this.#onTransactionCoordinator(
      producer,
      'EndTxn',
      (connection) => endTxnV3.api.async(connection, transactionalId, producerId, producerEpoch, commit),
      onUnreachable,
    );
  }

  /** The committed progress of the partition, waiting out transactional offsets not yet committed or aborted. */
  async storedProgress(
    { progressGroupId, topic, partition }: ProgressKey,
    onUnreachable: UnreachableListener | undefined,
  ): Promise<bigint | null> {
    const response = await this.#onCoordinator(
      'group',
      progressGroupId,
      'OffsetFetch',
      (connection) =>
        offsetFetchV8.api.async(
          connection,
          [
            {
              groupId: progressGroupId,
              memberEpoch: -1,
              topics: [{ name: topic, partitionIndexes: [partition] }],
            },
          ],
          true,
        ),
      onUnreachable,
    );
    const offset = response.groups[0]?.topics
      .find((entry) => entry.name === topic)
      ?.partitions.find((entry) => entry.partitionIndex === partition)?.committedOffset;
    return offset === undefined || offset < 0n ? null : offset;
  }

  #onTransactionCoordinator<Result>(
    producer: TransactionalProducer,
    requestName: string,
    request: (connection: Connection) => Promise<Result>,
    onUnreachable: UnreachableListener | undefined,
  ): Promise<Result> {
    return this.#onCoordinator('transaction', producer.transactionalId, requestName, request, onUnreachable);
  }

  /** `request` to the coordinator of `key`, found anew before each retry. */
  async #onCoordinator<Result>(
    keyType: CoordinatorKeyType,
    key: string,
    requestName: string,
    request: (connection: Connection) => Promise<Result>,
    onUnreachable: UnreachableListener | undefined,
    attempts?: number,
  ): Promise<Result> {
    return await withRetries(
      isTransient,
      async (attempt) => {
        let to = `the ${keyType} coordinator`;
        try {
          const connection = await this.#client.coordinatorConnection(keyType, key, attempt > 1);
          to = `the ${keyType} coordinator (${connection.host}:${connection.port})`;
          return await request(connection);
        } catch (error) {
          if (failedOnNetwork(error))
            onUnreachable?.(`${requestName} to ${to} failed: ${innermostMessage(error)}`);
          throw error;
        }
      },
      attempts,
    );
  }
}
