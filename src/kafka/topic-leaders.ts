// Waiting for a new topic's partitions, or a topic's added ones, to have leaders, whichever client asks. In KRaft
// a broker learns of a new topic from the metadata log a moment after CreateTopics answered; until then it
// reports the topic as unknown (UNKNOWN_TOPIC_OR_PARTITION) or its partitions without leaders, and with many
// partitions that moment is long enough to be seen. CreatePartitions likewise answers before the brokers list
// the new partitions.
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaError, Retriable, TopicNotFound } from './errors.js';

/** How often a new topic's metadata is asked for while waiting for its partitions' leaders. */
const LEADER_POLL_INTERVAL_MS = 100;

export interface LeaderWait<Metadata extends TopicPartitions> {
  readonly clusterName: string;
  /** What waits, for the message: `create topic orders`, `add partitions to topic orders`. */
  readonly operation: string;
  readonly topic: string;
  readonly partitionCount: number;
  readonly timeoutMs: number;
  /** The topic's metadata now: its partitions as listed (leader -1: none yet); null while it is not known. */
  readonly metadata: () => Promise<Metadata | null>;
}

interface TopicPartitions {
  readonly partitions: readonly { readonly leader: number }[];
}

/**
 * The topic's metadata once it lists `partitionCount` partitions, each with a leader. An unknown topic,
 * TopicNotFound and retriable errors mean "not yet"; other errors fail at once.
 * @throws Retriable when the partitions still have no leaders after `timeoutMs`.
 */
export async function waitForLeaders<Metadata extends TopicPartitions>(
  wait: LeaderWait<Metadata>,
): Promise<Metadata> {
  const deadline = Date.now() + wait.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const metadata = await wait.metadata();
      const partitions = metadata?.partitions ?? [];
      const ready =
        partitions.length >= wait.partitionCount && partitions.every((partition) => partition.leader >= 0);
      if (metadata !== null && ready) return metadata;
    } catch (error) {
      if (!(error instanceof TopicNotFound) && !(error instanceof KafkaError && error.retriable)) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Retriable(
        wait.clusterName,
        `${wait.operation}: its ${wait.partitionCount} partitions had no leaders after ${wait.timeoutMs} ms`,
        { cause: lastError },
      );
    }
    await sleep(LEADER_POLL_INTERVAL_MS);
  }
}
