// TransactionalSink over kafkajs transactional producers, one per destination partition.
//
// Why one producer (one transactional id) per partition and not one per flow: partitions of a flow move
// between georep processes with the consumer group. The process that takes a partition over must fence the
// producer that wrote it before, and only that one: with an id per partition, its claim (InitProducerId)
// bumps exactly that id's epoch and aborts exactly that producer's open transaction. An id per flow and
// process could not fence a stalled process's writes to a partition it lost; one id per flow shared by
// processes would fence each other on every write. The cost: one producer, its connections and one
// transaction per batch, for every partition a process holds.
//
// A transaction: AddPartitionsToTxn + Produce (records in transactional batches, kafkajs sets the batch's
// transactional bit; the record-codec patch encodes each record exactly) + AddOffsetsToTxn + TxnOffsetCommit
// of (topic, partition) → next origin offset to the progress group + EndTxn. The progress names the
// destination topic because a group coordinator accepts transactional offsets only for topics its own
// cluster hosts.
import type { Kafka, Producer } from 'kafkajs';
import { PartitionNotFound } from '../errors.js';
import type {
  KafkaAdmin,
  RecordToWrite,
  TransactionalSink,
  TransactionalSinkOptions,
  WrittenRange,
} from '../port.js';
import { chunksOfAtMost, DEFAULT_MAX_REQUEST_BYTES } from '../write-chunks.js';
import { KafkajsAdmin } from './admin.js';
import { loadKafkajs } from './load-kafkajs.js';
import { toPortError } from './map-error.js';
import { compressionType, PRODUCE_RETRIES, toKafkajsMessage } from './sink.js';

/**
 * How long a transaction may stay open before the broker aborts it. It bounds how long a transaction left
 * open by a process that died stalls read_committed readers of the partition when nobody claims it again
 * (a removed flow); a claim aborts it at once. One batch must be written within it.
 */
export const TRANSACTION_TIMEOUT_MS = 60_000;

export class KafkajsTransactionalSink implements TransactionalSink {
  readonly #kafka: Kafka;
  readonly #clusterName: string;
  readonly #requestTimeoutMs: number;
  readonly #options: TransactionalSinkOptions;
  readonly #admin: KafkaAdmin;
  /** The producer of every claimed partition. */
  readonly #producers = new Map<number, Producer>();
  #closed = false;

  constructor(
    kafka: Kafka,
    clusterName: string,
    requestTimeoutMs: number,
    options: TransactionalSinkOptions,
  ) {
    this.#kafka = kafka;
    this.#clusterName = clusterName;
    this.#requestTimeoutMs = requestTimeoutMs;
    this.#options = options;
    this.#admin = new KafkajsAdmin(kafka, clusterName, requestTimeoutMs);
  }

  async claim(partition: number): Promise<bigint | null> {
    if (this.#closed) throw new Error('the transactional sink is closed');
    await this.release([partition]);
    const producer = this.#kafka.producer({
      // Every record names its partition; naming kafkajs's default partitioner only silences its warning.
      createPartitioner: loadKafkajs().Partitioners.DefaultPartitioner,
      transactionalId: this.#transactionalId(partition),
      transactionTimeout: TRANSACTION_TIMEOUT_MS,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: PRODUCE_RETRIES },
    });
    try {
      await producer.connect();
      // kafkajs sends InitProducerId for the transactional id when the first transaction begins: an empty
      // one, ended at once (no request: nothing was added to it), fences the previous holder now, before the
      // progress is read. kafkajs retries while the broker still aborts that holder's open transaction.
      const fencing = await producer.transaction();
      await fencing.abort();
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw toPortError(error, this.#clusterName, {
        operation: `claim partition ${partition} of ${this.#options.topic} for transactions`,
        topic: this.#options.topic,
      });
    }
    this.#producers.set(partition, producer);
    const stored = await this.#admin.committedOffsets(this.#options.progressGroupId, [this.#options.topic]);
    return stored.find((entry) => entry.partition === partition)?.offset ?? null;
  }

  async write(
    partition: number,
    records: readonly RecordToWrite[],
    nextOriginOffset: bigint,
  ): Promise<readonly WrittenRange[]> {
    const { topic } = this.#options;
    const producer = this.#producers.get(partition);
    if (producer === undefined) throw new Error(`partition ${partition} of ${topic} was not claimed`);
    const compression = compressionType(this.#options.compression ?? 'none');
    try {
      const transaction = await producer.transaction();
      const written: WrittenRange[] = [];
      try {
        for (const chunk of chunksOfAtMost(
          records,
          this.#options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
        )) {
          const acknowledged = await transaction.send({
            topic,
            acks: -1,
            timeout: this.#requestTimeoutMs,
            compression,
            messages: chunk.map((record) => toKafkajsMessage(record, partition)),
          });
          // kafkajs silently skips a partition its stale metadata does not know (see sink.ts).
          const ours = acknowledged.find(
            (entry) => entry.topicName === topic && entry.partition === partition,
          );
          if (ours === undefined) throw new PartitionNotFound(this.#clusterName, topic, partition);
          // acks=all always returns the base offset; a missing one would make every group translation wrong.
          if (ours.baseOffset === undefined)
            throw new Error(`the destination did not report where it wrote to ${topic}`);
          written.push({ firstOffset: BigInt(ours.baseOffset), recordCount: chunk.length });
        }
        await transaction.sendOffsets({
          consumerGroupId: this.#options.progressGroupId,
          topics: [{ topic, partitions: [{ partition, offset: nextOriginOffset.toString() }] }],
        });
        await transaction.commit();
        return written;
      } catch (error) {
        if (transaction.isActive()) await transaction.abort().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      // The producer's state (epoch, sequences) may no longer match the broker's, or it was fenced: the
      // partition must be claimed again before the next write.
      this.#producers.delete(partition);
      await producer.disconnect().catch(() => undefined);
      throw toPortError(error, this.#clusterName, { operation: `transactional write to ${topic}`, topic });
    }
  }

  async release(partitions: readonly number[]): Promise<void> {
    await Promise.all(
      partitions.map(async (partition) => {
        const producer = this.#producers.get(partition);
        this.#producers.delete(partition);
        await producer?.disconnect().catch(() => undefined);
      }),
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.release([...this.#producers.keys()]);
    await this.#admin.close();
  }

  #transactionalId(partition: number): string {
    return `${this.#options.transactionalIdPrefix}.${partition}`;
  }
}
