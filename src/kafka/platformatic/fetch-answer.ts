// Taking a fetch answer in: what each partition's part means (partitionOutcome: records, a retry, an offset
// out of range, a batch that cannot be read), then each goes to its state in fetch-positions.ts, unless the
// answer is stale — for a partition given up since the request left, or whose fetched data was thrown away
// since (a pause, a rebalance, a reassignment), which the epoch and offset noted as the request left tell. What
// the answer means for the loop (a batch ready, a partition to retry, a partition stopped) is handed back as a
// value; fetch-loop.ts acts on it.
import { ProtocolError, protocolErrors, protocolErrorsCodesById } from '@platformatic/kafka';
import { UnreadableBatch } from '../errors.js';
import type { FetchPositions, PartitionState } from './fetch-positions.js';
import { type FetchResponse, receivedBatches } from './fetch-response.js';
import { partitionKey } from './fetch-session.js';
import type { FetchedPartition } from './partition-fetcher.js';
import { readPartition } from './record-batches.js';

/** A partition as a request asked for it. */
export interface SentPartition {
  readonly state: PartitionState;
  readonly epoch: number;
  readonly offset: bigint;
}

/** In the request's order. */
export type SentPartitions = readonly SentPartition[];

/** A partition whose read cannot go on from its offset: out of range, or a batch there cannot be read. */
export type StoppedPartition = Extract<FetchedPartition, { kind: 'out-of-range' | 'unreadable' }>;

export interface TakenAnswer {
  /** A batch became ready. */
  readonly ready: boolean;
  /** The last transient error a partition was answered with. */
  readonly retry: Error | undefined;
  /** Partitions whose read cannot go on from their offset, in the answer's order. */
  readonly stopped: readonly StoppedPartition[];
}

/** The error a flow fails with when its partition's batch at `fetchOffset` cannot be read. */
export function unreadableBatch(
  cluster: string,
  { topic, partition, fetchOffset, error }: Extract<StoppedPartition, { kind: 'unreadable' }>,
): UnreadableBatch {
  return new UnreadableBatch(cluster, { topic, partition, offset: fetchOffset }, { cause: error });
}

/** Notes each partition's epoch and position as the request leaves, to tell its answer from a stale one. */
export function sentPartitions(states: readonly PartitionState[]): SentPartitions {
  return states.map((state) => ({ state, epoch: state.epoch, offset: state.position! }));
}

/**
 * Takes the answer to the request that asked for `sent` into `positions`; `onSkipped` hears of each partition
 * whose answer held only markers or aborted records, in the answer's order.
 */
export function takeAnswer(
  positions: FetchPositions,
  sent: SentPartitions,
  fetched: readonly FetchedPartition[],
  onSkipped: (topic: string, partition: number, offset: bigint) => void,
): TakenAnswer {
  let retry: Error | undefined;
  let ready = false;
  const stopped: StoppedPartition[] = [];
  // An idle lane's answers name no partition: the lookup of thousands is built only for answers that do.
  if (fetched.length === 0) return { ready, retry, stopped };
  const sentByKey = new Map(
    sent.map((entry) => [partitionKey(entry.state.topic, entry.state.partition), entry]),
  );
  for (const outcome of fetched) {
    const request = sentByKey.get(partitionKey(outcome.topic, outcome.partition));
    // Answers for partitions given up, or whose fetched data was thrown away since the request left, are ignored.
    if (request === undefined || positions.state(outcome.topic, outcome.partition) !== request.state)
      continue;
    const { state } = request;
    if (state.epoch !== request.epoch || state.position !== request.offset) continue;
    if (outcome.kind === 'retry') {
      retry = outcome.error;
      state.askedIn = null;
    } else if (outcome.kind === 'out-of-range' || outcome.kind === 'unreadable') {
      stopped.push(outcome);
    } else {
      const accepted = positions.accept(state, outcome);
      if (accepted === 'skipped') onSkipped(state.topic, state.partition, outcome.read.nextOffset);
      ready = accepted === 'ready' || ready;
    }
  }
  return { ready, retry, stopped };
}

/** What a partition's part of a fetch answer means for its read: records, a retry, or where it stops. */
export function partitionOutcome(
  topic: string,
  answer: FetchResponse['responses'][number]['partitions'][number],
  fetchOffset: bigint,
): FetchedPartition {
  const partition = answer.partitionIndex;
  if (answer.errorCode === 0) {
    const read = readPartition(
      partition,
      fetchOffset,
      receivedBatches(answer.records),
      answer.abortedTransactions,
    );
    // Batches before an unreadable one are handed on, and the next fetch meets it first; one that moves the
    // partition nowhere would have it fetched again and again.
    if (answer.unreadable !== undefined && read.nextOffset <= fetchOffset)
      return { kind: 'unreadable', topic, partition, fetchOffset, error: answer.unreadable };
    return {
      kind: 'read',
      topic,
      partition,
      fetchOffset,
      read,
      highWatermark: answer.highWatermark,
      lastStableOffset: answer.lastStableOffset,
    };
  }
  const id = protocolErrorsCodesById[answer.errorCode];
  if (id === 'OFFSET_OUT_OF_RANGE') return { kind: 'out-of-range', topic, partition, fetchOffset };
  // UNKNOWN_TOPIC_ID and INCONSISTENT_TOPIC_ID (retriable below): the topic the request named by id was deleted;
  // the metadata asked for before the next fetch tells whether it is gone or re-created (layout()).
  const error = new ProtocolError(answer.errorCode);
  // UNKNOWN_TOPIC_OR_PARTITION is also what a topic just created answers; a deleted topic shows up in the
  // metadata asked for before the next fetch.
  if (id !== undefined && protocolErrors[id]?.canRetry === true)
    return { kind: 'retry', topic, partition, error };
  throw error;
}

/** What an answer's batches took as received, and take held (decoded). */
export function sizeOf(fetched: readonly FetchedPartition[]): { receivedBytes: number; heldBytes: number } {
  let receivedBytes = 0;
  let heldBytes = 0;
  for (const outcome of fetched) {
    if (outcome.kind !== 'read') continue;
    receivedBytes += outcome.read.receivedBytes;
    heldBytes += outcome.read.bytes;
  }
  return { receivedBytes, heldBytes };
}

/** `topic/0 12 records to 340, topic/1 retry`, for tracing. */
export function describeAnswer(fetched: readonly FetchedPartition[]): string {
  return fetched
    .map(
      (outcome) =>
        `${outcome.topic}/${outcome.partition} ${outcome.kind === 'read' ? `${outcome.read.records.length} records to ${outcome.read.nextOffset}` : outcome.kind}`,
    )
    .join(', ');
}
