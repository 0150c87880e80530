// The topics of bench:scale: what a size is (`1000x1`: 1,000 topics of one partition), creating them on the
// origin in few CreateTopics requests, and counting the records of thousands of topics in a few ListOffsets
// requests (one per topic, as topic-records.ts does for one topic, would take minutes at 10,000).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from '@platformatic/kafka';
import { ListOffsetTimestamps } from '@platformatic/kafka';
import type { JvmHeap } from '../harness/java-process.js';
import { createTopics } from '../harness/kafka-client.js';
import type { LocalKafkaCluster } from '../harness/kafka-local.js';
import { recordWriter } from '../harness/kafka-writer.js';
import { positiveInteger } from './report.js';
import { benchAdmin } from './topic-records.js';

export interface ScaleSize {
  readonly topics: number;
  readonly partitionsPerTopic: number;
  /** `1000x1`: what --sizes says, and the topics' name prefix. */
  readonly label: string;
}

/** `1000x1,10000x1,500x12` → sizes; a size without `x` has one partition per topic. */
export function parseSizes(text: string, optionName: string): ScaleSize[] {
  return text.split(',').map((item) => {
    const [topicsText = '', partitionsText = '1', ...rest] = item.trim().split('x');
    if (rest.length > 0) throw new Error(`${optionName}: "${item}" is not TOPICSxPARTITIONS`);
    const topics = positiveInteger(topicsText, optionName);
    const partitionsPerTopic = positiveInteger(partitionsText, optionName);
    return { topics, partitionsPerTopic, label: `${topics}x${partitionsPerTopic}` };
  });
}

export function partitionCount(size: ScaleSize): number {
  return size.topics * size.partitionsPerTopic;
}

/** `scale-1000x1-0000` … `scale-1000x1-0999`: sorted like their numbers. */
export function topicNames(size: ScaleSize): string[] {
  const digits = String(size.topics - 1).length;
  return Array.from(
    { length: size.topics },
    (_, index) => `${topicPrefix(size)}${String(index).padStart(digits, '0')}`,
  );
}

export function topicPrefix(size: ScaleSize): string {
  return `scale-${size.label}-`;
}

/**
 * Each broker's heap at a size: the harness's 512 MiB default runs out at thousands of partitions (every
 * partition has its log, indexes and metadata on the heap); 128 MiB more per 1,000 partitions, rounded up to
 * 256 MiB, leaves room (10,000 partitions: 1.75 GiB).
 */
export function brokerHeapFor(size: ScaleSize): JvmHeap {
  const maxMb = Math.ceil((512 + (partitionCount(size) * 128) / 1000) / 256) * 256;
  return { initialMb: 256, maxMb };
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/** A CreateTopics request with more topics than this is split: the controller answers each within its timeout. */
const TOPICS_PER_CREATE_REQUEST = 1_000;
/** Topics written to at once. */
const TOPICS_PER_PRODUCE_ROUND = 100;
/** Topics per ListOffsets request. */
const TOPICS_PER_OFFSETS_REQUEST = 1_000;
const RECORD_VALUE_BYTES = 100;
const SEND_ATTEMPTS = 10;
const SEND_RETRY_DELAY_MS = 1_000;

/**
 * Creates the size's topics on the origin and writes `recordsPerPartition` records into each partition;
 * returns how many records the origin holds, which is what every destination must end up with.
 */
export async function prepareOriginTopics(
  origin: LocalKafkaCluster,
  size: ScaleSize,
  recordsPerPartition: number,
): Promise<number> {
  const topics = topicNames(size);
  const admin = benchAdmin(origin.bootstrap);
  // Idempotent: on a busy machine a plain producer's retries write some batches twice.
  const producer = recordWriter(origin.bootstrap, { clientId: 'georep-bench-scale', idempotent: true });
  try {
    for (const group of chunks(topics, TOPICS_PER_CREATE_REQUEST))
      await createTopics(
        admin,
        group.map((topic) => ({ topic, partitions: size.partitionsPerTopic })),
      );
    const value = Buffer.alloc(RECORD_VALUE_BYTES, 'x');
    const records = Array.from({ length: size.partitionsPerTopic }, (_, partition) =>
      Array.from({ length: recordsPerPartition }, (_, index) => ({ key: `k${index}`, value, partition })),
    ).flat();
    for (const group of chunks(topics, TOPICS_PER_PRODUCE_ROUND))
      await Promise.all(group.map((topic) => sendWithRetries(() => producer.send(topic, records), topic)));
    return (await countRecords(admin, topics, size.partitionsPerTopic)).records;
  } finally {
    await producer.close();
    await admin.close();
  }
}

/**
 * A send that fails right after its topic was made (its leader not known to every part of the broker yet: 500
 * topics of 12 partitions took longer than 15 s once) or on a busy machine is sent again, after a longer pause each
 * time; a record written twice does not matter, the origin's end offsets are what a mirror must copy.
 */
async function sendWithRetries(send: () => Promise<void>, topic: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= SEND_ATTEMPTS)
        throw new Error(`writing to ${topic} failed ${attempt} times: ${describeError(error)}`);
      await sleep(SEND_RETRY_DELAY_MS * attempt);
    }
  }
}

/** The message of an error and of those it aggregates (the library's produce errors hold the reasons). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const inner = error instanceof AggregateError ? error.errors.map(describeError) : [];
  return [error.message, ...inner].join('; ');
}

export interface RecordCount {
  /** Sum of the end offsets of the topics that exist. */
  readonly records: number;
  readonly topicsPresent: number;
}

/**
 * Records in the topics (sum of end offsets; neither mirror writes transaction markers here), counting only
 * those that exist. A request that fails (a topic just created, its leader not elected yet) counts as 0.
 */
export async function countRecords(
  admin: Admin,
  topics: readonly string[],
  partitionsPerTopic: number,
): Promise<RecordCount> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((topic) => existing.has(topic));
  let records = 0;
  for (const group of chunks(present, TOPICS_PER_OFFSETS_REQUEST)) {
    const listed = await admin
      .listOffsets({
        topics: group.map((name) => ({
          name,
          partitions: Array.from({ length: partitionsPerTopic }, (_, partitionIndex) => ({
            partitionIndex,
            timestamp: ListOffsetTimestamps.LATEST,
          })),
        })),
      })
      .catch(() => []);
    for (const topic of listed)
      for (const partition of topic.partitions) records += Math.max(0, Number(partition.offset));
  }
  return { records, topicsPresent: present.length };
}

/** The ids of the cluster's consumer groups (every type and state). */
export async function consumerGroupIds(cluster: LocalKafkaCluster): Promise<Set<string>> {
  const admin = benchAdmin(cluster.bootstrap);
  try {
    return new Set((await admin.listGroups()).keys());
  } finally {
    await admin.close();
  }
}
