// Numbered records for crash and failover tests: a steady producer writes values `seq-000123` to the origin,
// and a reader collects what a topic holds, per partition and in offset order. Both use plain kafkajs in the
// test process, never georep's port or client setup, so that what the checks see does not depend on the
// code under test.

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, type KafkaMessage, logLevel, Partitioners } from 'kafkajs';
import { uniqueTopicName } from './kafka-records.js';

const TICK_MS = 100;
const SEQUENCE_DIGITS = 7;

/** `seq-0000123`, padded with filler up to `bytes` when given (larger records make longer writes). */
export function sequenceValue(sequence: number, bytes = 0): string {
  const value = `seq-${String(sequence).padStart(SEQUENCE_DIGITS, '0')}`;
  return bytes > value.length ? `${value} ${'x'.repeat(bytes - value.length - 1)}` : value;
}

export function plainKafka(brokers: readonly string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING });
}

export interface SequenceProducer {
  /** Records acknowledged by the origin so far. */
  readonly acknowledged: number;
  /** Resolves once `count` records are acknowledged (or rejects if the producer failed). */
  reached(count: number, signal?: AbortSignal): Promise<void>;
  /**
   * Writes `count` records on top of the steady rate, as fast as the origin takes them (a traffic spike);
   * resolves once they are acknowledged.
   */
  burst(count: number, signal?: AbortSignal): Promise<void>;
  /** Stops after the send in progress; resolves with the number of records acknowledged. */
  stop(): Promise<number>;
}

const BURST_RECORDS_PER_SEND = 1_000;

/**
 * Writes records `seq-0000000`, `seq-0000001`, … at about `recordsPerSecond`, record n to partition
 * n % partitions, with an idempotent producer (acks=all), until stop(). Sequences start at `firstSequence`.
 */
export async function startSequenceProducer(options: {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly partitions: number;
  readonly recordsPerSecond: number;
  readonly firstSequence?: number;
  /** Size of each value; default: just the sequence. */
  readonly valueBytes?: number;
  /** Gives each record two headers, `seq` (the sequence) and `kind`, so copies can be compared on them too. */
  readonly withHeaders?: boolean;
}): Promise<SequenceProducer> {
  const producer = plainKafka(options.brokers, 'test-sequence-producer').producer({
    idempotent: true,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const perTick = Math.max(1, Math.round((options.recordsPerSecond * TICK_MS) / 1000));
  let next = options.firstSequence ?? 0;
  let acknowledged = 0;
  let stopping = false;
  let failure: unknown = null;
  let burstRemaining = 0;
  let inFlight = 0;
  const loop = (async () => {
    const startedMs = Date.now();
    let ticks = 0;
    while (!stopping) {
      const fromBurst = Math.min(burstRemaining, BURST_RECORDS_PER_SEND);
      burstRemaining -= fromBurst;
      const count = perTick + fromBurst;
      const messages = Array.from({ length: count }, (_, index) => {
        const sequence = next + index;
        return {
          partition: sequence % options.partitions,
          key: `key-${sequence}`,
          value: sequenceValue(sequence, options.valueBytes),
          ...(options.withHeaders ? { headers: { seq: String(sequence), kind: 'sequence' } } : {}),
        };
      });
      inFlight = count;
      await producer.send({ topic: options.topic, acks: -1, messages });
      next += count;
      acknowledged += count;
      inFlight = 0;
      ticks++;
      // Steady rate: sleep until the next tick's slot; during a burst, send again at once.
      const dueMs = startedMs + ticks * TICK_MS;
      if (burstRemaining === 0) await sleep(Math.max(0, dueMs - Date.now()));
    }
  })().catch((error: unknown) => {
    failure = error;
  });
  const reached = async (count: number, signal?: AbortSignal) => {
    while (acknowledged < count) {
      if (failure !== null) throw failure;
      signal?.throwIfAborted();
      await sleep(TICK_MS);
    }
  };
  return {
    get acknowledged() {
      return acknowledged;
    },
    reached,
    async burst(count, signal) {
      const target = acknowledged + inFlight + burstRemaining + count;
      burstRemaining += count;
      await reached(target, signal);
    },
    async stop() {
      stopping = true;
      await loop;
      await producer.disconnect();
      if (failure !== null) throw failure;
      return acknowledged;
    },
  };
}

/** Values of a topic's records per partition, in offset order: the value at index n has offset n. */
export type PartitionValues = Map<number, string[]>;

/**
 * Reads every record of `topic` from the start up to the end offsets it has when the call begins, with a
 * fresh consumer group, and returns the values per partition in offset order.
 */
export async function readAllValues(options: {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /**
   * What is kept of each record; default its value as text. Large backlogs keep a digest instead (see
   * recordDigest), so that hundreds of MiB of values are compared without holding them.
   */
  readonly describe?: (message: KafkaMessage) => string;
}): Promise<PartitionValues> {
  const describe = options.describe ?? ((message: KafkaMessage) => message.value?.toString() ?? '<null>');
  const kafka = plainKafka(options.brokers, 'test-sequence-reader');
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    for (const { partition, high } of await admin.fetchTopicOffsets(options.topic))
      ends.set(partition, BigInt(high));
  } finally {
    await admin.disconnect();
  }
  const values: PartitionValues = new Map([...ends.keys()].map((partition) => [partition, []]));
  const unfinished = new Set([...ends].filter(([, end]) => end > 0n).map(([partition]) => partition));
  if (unfinished.size === 0) return values;

  const consumer = kafka.consumer({
    groupId: uniqueTopicName('test-sequence-reader'),
    allowAutoTopicCreation: false,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`reading ${options.topic}: partitions ${[...unfinished]} not read to the end in time`),
          ),
        options.timeoutMs ?? 120_000,
      );
      const onAbort = () => reject(options.signal?.reason);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        finish();
        reject(payload.error);
      });
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition) ?? 0n;
            const list = values.get(batch.partition) ?? [];
            for (const message of batch.messages) {
              if (BigInt(message.offset) >= end) break;
              // Tests index values by offset; only transactions leave gaps, and these topics have none.
              if (BigInt(message.offset) !== BigInt(list.length)) {
                finish();
                reject(
                  new Error(
                    `${options.topic}/${batch.partition}: offset ${message.offset} after ${list.length} records`,
                  ),
                );
                return;
              }
              list.push(describe(message));
            }
            values.set(batch.partition, list);
            if (
              BigInt(batch.lastOffset()) + 1n >= end &&
              unfinished.delete(batch.partition) &&
              unfinished.size === 0
            ) {
              finish();
              resolve();
            }
          },
        })
        .catch((error: unknown) => {
          finish();
          reject(error);
        });
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

/** Creates `topic` with `partitions` partitions (and topic configs) and waits until each has a leader. */
export async function createTopic(
  brokers: readonly string[],
  topic: string,
  partitions: number,
  configs: readonly (readonly [string, string])[] = [],
): Promise<void> {
  await createTopics(brokers, [{ topic, partitions, configs: Object.fromEntries(configs) }]);
}

/**
 * `seq-0001234 <sha-256 of key, value and headers>`: names a sequence record and pins its bytes, for
 * comparing copies of records too large to keep by the hundred thousand.
 */
export function recordDigest(message: KafkaMessage): string {
  const hash = createHash('sha256');
  const field = (bytes: Buffer | null | undefined) => {
    hash.update(bytes === null || bytes === undefined ? 'null' : `${bytes.length}:`);
    if (bytes) hash.update(bytes);
  };
  field(message.key);
  field(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    hash.update(`|${name}=`);
    for (const one of Array.isArray(value) ? value : [value])
      field(typeof one === 'string' ? Buffer.from(one) : one);
  }
  const sequence = message.value?.toString('latin1', 0, 11) ?? '<null>';
  return `${sequence} ${hash.digest('hex')}`;
}

/** Creates topics with plain kafkajs and waits for their leaders; `configs` are topic configs, e.g. cleanup.policy. */
export async function createTopics(
  brokers: readonly string[],
  topics: readonly {
    readonly topic: string;
    readonly partitions: number;
    readonly configs?: Readonly<Record<string, string>>;
  }[],
): Promise<void> {
  const admin = plainKafka(brokers, 'test-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map(({ topic, partitions, configs }) => ({
        topic,
        numPartitions: partitions,
        configEntries: Object.entries(configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** End offset of every partition, by partition number. */
export async function endOffsets(brokers: readonly string[], topic: string): Promise<Map<number, bigint>> {
  const admin = plainKafka(brokers, 'test-offsets').admin();
  await admin.connect();
  try {
    return new Map(
      (await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, BigInt(high)]),
    );
  } finally {
    await admin.disconnect();
  }
}

/** Records in a topic, summed over its partitions; 0 while it does not exist. */
export async function topicRecordCount(brokers: readonly string[], topic: string): Promise<number> {
  try {
    const ends = await endOffsets(brokers, topic);
    return [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
  } catch {
    return 0;
  }
}

/** Deletes topics a test made on clusters it does not own (GEOREP_TEST_BOOTSTRAP_*); errors are ignored. */
export async function deleteTopicsQuietly(
  brokers: readonly string[],
  topics: readonly string[],
): Promise<void> {
  const admin = plainKafka(brokers, 'test-cleanup').admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics: [...topics] });
  } catch {
    // a leftover topic with a unique name harms nobody
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
