// The offsets a source starts from, read through the library's Consumer: the group's committed offsets
// (OffsetFetch to the group's coordinator) and a partition's earliest or last stable offset (ListOffsets to the
// leaders). A lane reads them for many topics at once: when georep starts, thousands of topics attach to a
// lane within seconds, and one request per topic, one after another on a connection, made the last flow wait
// for the others' requests. The coalesced reads send the topics asked for at about the same time in one
// request, each caller getting its own topic's answer.
import { type Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import { RequestCoalescer } from '../request-coalescer.js';
import {
  COALESCE_WINDOW_MS,
  COALESCED_REQUESTS_IN_FLIGHT,
  METADATA_TOPICS_PER_REQUEST,
} from './admin-requests.js';
import { reportsTopicMissing } from './map-error.js';

/** Offsets of one topic's partitions, indexed by partition number; undefined where the answer had none. */
export type PartitionOffsets = readonly (bigint | undefined)[];

export interface PositionReads {
  /** The group's committed offsets (-1 where it has none). */
  committed(topic: string, partitions: readonly number[]): Promise<PartitionOffsets>;
  /** The partitions' offsets at `timestamp` (ListOffsetTimestamps), read_committed. */
  listed(topic: string, partitions: readonly number[], timestamp: bigint): Promise<PartitionOffsets>;
}

interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** One request per call: a source of one topic. */
export function directPositionReads(consumer: Consumer): PositionReads {
  return {
    committed: async (topic, partitions) => (await committedOffsets(consumer, [{ topic, partitions }]))[0]!,
    listed: async (topic, partitions, timestamp) =>
      (await listedOffsets(consumer, [{ topic, partitions }], timestamp))[0]!,
  };
}

/**
 * How a lane coalesces what it reads per topic as topics attach (these offsets, and their partition counts in
 * lane-reader.ts): up to METADATA_TOPICS_PER_REQUEST topics a request.
 */
export const LANE_READS_BATCHING = {
  maxBatchSize: METADATA_TOPICS_PER_REQUEST,
  windowMs: COALESCE_WINDOW_MS,
  maxInFlight: COALESCED_REQUESTS_IN_FLIGHT,
  // A topic the cluster does not know fails the whole request: each is asked again alone, for its own answer.
  sendAloneAfter: reportsTopicMissing,
} as const;

/** Calls made at about the same time go out together (LANE_READS_BATCHING). */
export function coalescedPositionReads(consumer: Consumer): PositionReads {
  const committed = new RequestCoalescer<TopicPartitions, PartitionOffsets>({
    ...LANE_READS_BATCHING,
    send: (asked) => committedOffsets(consumer, asked),
  });
  const listedAt = new Map<bigint, RequestCoalescer<TopicPartitions, PartitionOffsets>>();
  return {
    committed: (topic, partitions) => committed.request({ topic, partitions }),
    listed: (topic, partitions, timestamp) => {
      let listed = listedAt.get(timestamp);
      if (listed === undefined) {
        listed = new RequestCoalescer({
          ...LANE_READS_BATCHING,
          send: (asked) => listedOffsets(consumer, asked, timestamp),
        });
        listedAt.set(timestamp, listed);
      }
      return listed.request({ topic, partitions });
    },
  };
}

async function committedOffsets(
  consumer: Consumer,
  asked: readonly TopicPartitions[],
): Promise<PartitionOffsets[]> {
  const answer = await consumer.listCommittedOffsets({
    topics: merged(asked).map(([topic, partitions]) => ({ topic, partitions })),
  });
  return asked.map(({ topic }) => answer.get(topic) ?? []);
}

async function listedOffsets(
  consumer: Consumer,
  asked: readonly TopicPartitions[],
  timestamp: bigint,
): Promise<PartitionOffsets[]> {
  const topics = merged(asked);
  const answer = await consumer.listOffsets({
    topics: topics.map(([topic]) => topic),
    partitions: Object.fromEntries(topics),
    timestamp,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  });
  return asked.map(({ topic }) => answer.get(topic) ?? []);
}

/** Each topic once, with every partition asked for it (two callers may ask for the same topic). */
function merged(asked: readonly TopicPartitions[]): [string, number[]][] {
  const byTopic = new Map<string, Set<number>>();
  for (const { topic, partitions } of asked) {
    const set = byTopic.get(topic) ?? new Set<number>();
    for (const partition of partitions) set.add(partition);
    byTopic.set(topic, set);
  }
  return [...byTopic].map(([topic, partitions]) => [topic, [...partitions].sort((a, b) => a - b)]);
}
