// Numbered records for crash and failover tests: a steady producer writes values `seq-000123` to the origin,
// and a reader collects what a topic holds, per partition and in offset order. Both use the tools' own Kafka
// clients (harness/kafka-client.ts), never georep's port or client setup, so that what the checks see does
// not depend on the code under test.

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createTopics as createTopicsWith,
  endOffsets as endOffsetsWith,
  withAdmin,
} from '../../../harness/kafka-client.js';
import { type ReadRecord, readTopicToEnd } from '../../../harness/kafka-reader.js';
import { recordWriter } from '../../../harness/kafka-writer.js';

const TICK_MS = 100;
const SEQUENCE_DIGITS = 7;

/** `seq-0000123`, padded with filler up to `bytes` when given (larger records make longer writes). */
export function sequenceValue(sequence: number, bytes = 0): string {
  const value = `seq-${String(sequence).padStart(SEQUENCE_DIGITS, '0')}`;
  return bytes > value.length ? `${value} ${'x'.repeat(bytes - value.length - 1)}` : value;
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
const RETRY_AFTER_FAILURE_MS = 200;

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
  /**
   * Keep writing through an outage of the cluster: a send that fails is not repeated (its records may or may
   * not be stored; repeating could store them twice), its sequences are skipped, and a new producer tries the
   * next records every RETRY_AFTER_FAILURE_MS. Otherwise the first failure stops the producer.
   */
  readonly survivesOutages?: boolean;
}): Promise<SequenceProducer> {
  const newProducer = () =>
    recordWriter(options.brokers, { clientId: 'test-sequence-producer', idempotent: true });
  let producer = newProducer();
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
          ...(options.withHeaders
            ? {
                headers: [
                  ['seq', String(sequence)],
                  ['kind', 'sequence'],
                ] as const,
              }
            : {}),
        };
      });
      inFlight = count;
      try {
        await producer.send(options.topic, messages);
        acknowledged += count;
      } catch (error) {
        if (options.survivesOutages !== true) throw error;
        await producer.close().catch(() => undefined);
        await sleep(RETRY_AFTER_FAILURE_MS);
        producer = newProducer();
      }
      next += count;
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
      await producer.close();
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
  readonly describe?: (record: ReadRecord) => string;
}): Promise<PartitionValues> {
  const describe = options.describe ?? ((record: ReadRecord) => record.value?.toString() ?? '<null>');
  const values: PartitionValues = new Map();
  let gap: Error | null = null;
  const ends = await readTopicToEnd({
    brokers: options.brokers,
    topic: options.topic,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    timeoutMs: options.timeoutMs ?? 120_000,
    onRecord: (record) => {
      const list = values.get(record.partition) ?? [];
      // Tests index values by offset; only transactions leave gaps, and these topics have none.
      if (record.offset !== BigInt(list.length))
        gap ??= new Error(
          `${options.topic}/${record.partition}: offset ${record.offset} after ${list.length} records`,
        );
      list.push(describe(record));
      values.set(record.partition, list);
    },
  });
  if (gap !== null) throw gap;
  return new Map(
    [...ends.keys()].sort((a, b) => a - b).map((partition) => [partition, values.get(partition) ?? []]),
  );
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
export function recordDigest(record: ReadRecord): string {
  const hash = createHash('sha256');
  const field = (bytes: Buffer | null | undefined) => {
    hash.update(bytes === null || bytes === undefined ? 'null' : `${bytes.length}:`);
    if (bytes) hash.update(bytes);
  };
  field(record.key);
  field(record.value);
  for (const [name, value] of record.headers) {
    hash.update('|');
    field(name);
    hash.update('=');
    field(value);
  }
  const sequence = record.value?.toString('latin1', 0, 11) ?? '<null>';
  return `${sequence} ${hash.digest('hex')}`;
}

/** Creates topics and waits for their leaders; `configs` are topic configs, e.g. cleanup.policy. */
export async function createTopics(
  brokers: readonly string[],
  topics: readonly {
    readonly topic: string;
    readonly partitions: number;
    readonly configs?: Readonly<Record<string, string>>;
  }[],
): Promise<void> {
  await withAdmin(brokers, (admin) => createTopicsWith(admin, topics));
}

/** End offset of every partition, by partition number. */
export async function endOffsets(brokers: readonly string[], topic: string): Promise<Map<number, bigint>> {
  return await withAdmin(brokers, (admin) => endOffsetsWith(admin, topic));
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
  // a leftover topic with a unique name harms nobody
  await withAdmin(brokers, (admin) => admin.deleteTopics({ topics: [...topics] })).catch(() => undefined);
}
