// RecordSink over a kafkajs idempotent producer. Records go to the partition they are given (the partitioner
// is never consulted), with their headers as an ordered list that the record-codec patch encodes exactly.
// Uncompressed requests that the destination rejects as too large are sent once more, gzip-compressed.
import type { CompressionTypes, Kafka, Message, Producer } from 'kafkajs';
import { PartitionNotFound, RecordTooLarge } from '../errors.js';
import { laneOf, PartitionQueues } from '../partition-queues.js';
import type {
  CompressionCodec,
  RecordSink,
  RecordSinkOptions,
  RecordToWrite,
  WrittenRange,
} from '../port.js';
import { chunksOfAtMost, DEFAULT_MAX_REQUEST_BYTES } from '../write-chunks.js';
import { loadKafkajs } from './load-kafkajs.js';
import { toPortError } from './map-error.js';

/**
 * kafkajs retries a failed produce (with backoff) this many times before giving up, so a missing topic or an
 * unreachable destination surfaces as an error in seconds instead of never (the idempotent default).
 */
export const PRODUCE_RETRIES = 5;
/**
 * Producers per sink, each with its own connections; a partition always writes through the same one. kafkajs's
 * idempotent producer holds one request in flight per broker and encodes the next only after the previous was
 * acknowledged, so with one producer the process sat idle while the destination stored each request. With
 * several, requests are encoded while others are on their way, and per-partition order still holds.
 */
const PRODUCER_LANES = 3;

export class KafkajsSink implements RecordSink {
  readonly #kafka: Kafka;
  readonly #clusterName: string;
  readonly #compression: CompressionTypes;
  readonly #maxRequestBytes: number;
  readonly #requestTimeoutMs: number;
  readonly #queues = new PartitionQueues();
  /** By lane (see PRODUCER_LANES); undefined until first used, and again after a failure discarded it. */
  readonly #producers: (Promise<Producer> | undefined)[] = new Array(PRODUCER_LANES).fill(undefined);
  #closed = false;

  constructor(kafka: Kafka, clusterName: string, requestTimeoutMs: number, options: RecordSinkOptions = {}) {
    this.#kafka = kafka;
    this.#clusterName = clusterName;
    this.#requestTimeoutMs = requestTimeoutMs;
    this.#compression = compressionType(options.compression ?? 'none');
    this.#maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  }

  write(
    topic: string,
    partition: number,
    records: readonly RecordToWrite[],
  ): Promise<readonly WrittenRange[]> {
    if (this.#closed) {
      return Promise.reject(new Error('the sink is closed'));
    }
    return this.#queues.run(topic, partition, () => this.#send(topic, partition, records));
  }

  /**
   * kafkajs's producer names every topic it ever wrote to in each metadata refresh, and a refresh that names a
   * deleted topic fails: its next write to a topic it has not written before would fail as "unknown topic".
   * So later writes go through a new producer, and the old one is disconnected once the writes in progress
   * on it are done.
   */
  forgetTopic(_topic: string): void {
    const stale = this.#producers.splice(0, PRODUCER_LANES, ...new Array(PRODUCER_LANES).fill(undefined));
    const inProgress = this.#queues.settled();
    for (const producer of stale) {
      if (producer === undefined) continue;
      void inProgress
        .then(() => producer)
        .then((old) => old.disconnect())
        .catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#queues.settled();
    const producers = this.#producers.splice(0, PRODUCER_LANES, ...new Array(PRODUCER_LANES).fill(undefined));
    await Promise.all(
      producers.map(async (producer) => (await producer?.catch(() => undefined))?.disconnect()),
    );
  }

  async #send(
    topic: string,
    partition: number,
    records: readonly RecordToWrite[],
  ): Promise<readonly WrittenRange[]> {
    const written: WrittenRange[] = [];
    for (const chunk of chunksOfAtMost(records, this.#maxRequestBytes)) {
      // kafkajs silently drops records for a partition its cached metadata does not know (a partition added
      // since it last looked) and still resolves. So every send must come back acknowledged for our partition;
      // if not, the records were never sent, and one more try with a new producer (fresh metadata) is safe.
      let firstOffset = await this.#sendChunkThatFits(topic, partition, chunk);
      if (firstOffset === null) {
        this.#discardProducer(topic, partition);
        firstOffset = await this.#sendChunkThatFits(topic, partition, chunk);
      }
      if (firstOffset === null) throw new PartitionNotFound(this.#clusterName, topic, partition);
      written.push({ firstOffset, recordCount: chunk.length });
    }
    return written;
  }

  /**
   * Sends one request, and once more gzip-compressed if the broker refused it as too large uncompressed:
   * Kafka's max.message.bytes limits a batch as stored, compressed, so a record the origin took compressed
   * can be too large for the same limit uncompressed. The broker refused the whole batch, so sending it again
   * cannot duplicate anything. The offset of the chunk's first record once the broker acknowledged it for
   * `partition`, null when it did not.
   */
  async #sendChunkThatFits(
    topic: string,
    partition: number,
    chunk: readonly RecordToWrite[],
  ): Promise<bigint | null> {
    const { GZIP, None } = loadKafkajs().CompressionTypes;
    try {
      return await this.#sendChunk(topic, partition, chunk, this.#compression);
    } catch (error) {
      if (!(error instanceof RecordTooLarge) || this.#compression !== None) throw error;
      return await this.#sendChunk(topic, partition, chunk, GZIP);
    }
  }

  /** Sends one request; the offset of its first record once the broker acknowledged it for `partition`. */
  async #sendChunk(
    topic: string,
    partition: number,
    chunk: readonly RecordToWrite[],
    compression: CompressionTypes,
  ): Promise<bigint | null> {
    try {
      const producer = await this.#connectedProducer(topic, partition);
      const acknowledged = await producer.send({
        topic,
        acks: -1,
        timeout: this.#requestTimeoutMs,
        compression,
        messages: chunk.map((record) => toKafkajsMessage(record, partition)),
      });
      const ours = acknowledged.find((entry) => entry.topicName === topic && entry.partition === partition);
      if (ours === undefined) return null;
      // acks=all always returns the base offset; a missing one would make every translation wrong.
      if (ours.baseOffset === undefined)
        throw new Error(`the destination did not report where it wrote to ${topic}`);
      return BigInt(ours.baseOffset);
    } catch (error) {
      const portError = toPortError(error, this.#clusterName, {
        operation: `write to topic ${topic}`,
        topic,
      });
      // After a failed send an idempotent producer's sequence numbers may no longer match the broker's;
      // the next write starts over with a new producer (and producer id). Not after a batch refused as too
      // large: the broker refused it whole, kafkajs took its sequence numbers back, and disconnecting the
      // producer would break the writes of every other flow in flight on it.
      if (!(portError instanceof RecordTooLarge)) this.#discardProducer(topic, partition);
      throw portError;
    }
  }

  #connectedProducer(topic: string, partition: number): Promise<Producer> {
    const lane = laneOf(topic, partition, PRODUCER_LANES);
    let connected = this.#producers[lane];
    if (connected === undefined) {
      const producer = this.#kafka.producer({
        // Every record names its partition, so no partitioner is consulted; naming kafkajs's default one
        // only silences its warning about the v2 partitioner change.
        createPartitioner: loadKafkajs().Partitioners.DefaultPartitioner,
        idempotent: true,
        allowAutoTopicCreation: false,
        retry: { retries: PRODUCE_RETRIES },
      });
      connected = producer.connect().then(() => producer);
      this.#producers[lane] = connected;
    }
    return connected;
  }

  #discardProducer(topic: string, partition: number): void {
    const lane = laneOf(topic, partition, PRODUCER_LANES);
    const producer = this.#producers[lane];
    this.#producers[lane] = undefined;
    void producer?.then((stale) => stale.disconnect()).catch(() => undefined);
  }
}

export function toKafkajsMessage(record: RecordToWrite, partition: number): Message {
  return {
    partition,
    key: record.key,
    value: record.value,
    // A string: kafkajs replaces a falsy timestamp (the number 0) with the current time.
    timestamp: String(record.timestampMs),
    // The ordered list goes through kafkajs untouched to the record-codec patch; kafkajs's own type only
    // knows its object form.
    headers: record.headers as unknown as Message['headers'],
  };
}

export function compressionType(codec: CompressionCodec): CompressionTypes {
  const types = loadKafkajs().CompressionTypes;
  const byCodec: Record<CompressionCodec, CompressionTypes> = {
    none: types.None,
    gzip: types.GZIP,
    snappy: types.Snappy,
    lz4: types.LZ4,
    zstd: types.ZSTD,
  };
  return byCodec[codec];
}
