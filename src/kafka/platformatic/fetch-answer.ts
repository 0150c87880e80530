// Taking a fetch answer in: each partition's part goes to its state in fetch-positions.ts, unless the answer is
// stale — for a partition given up since the request left, or whose fetched data was thrown away since (a pause,
// a rebalance, a reassignment), which the epoch and offset noted as the request left tell. What the answer
// means for the loop (a batch ready, a partition to retry, an offset out of range) is handed back as a value;
// fetch-loop.ts acts on it.
import type { FetchPositions, PartitionState } from './fetch-positions.js';
import { partitionKey } from './fetch-session.js';
import type { FetchedPartition } from './partition-fetcher.js';

/** A partition as a request asked for it. */
export interface SentPartition {
  readonly state: PartitionState;
  readonly epoch: number;
  readonly offset: bigint;
}

/** In the request's order. */
export type SentPartitions = readonly SentPartition[];

export type TakenAnswer =
  /** The first partition whose offset is out of range; the rest of the answer was not taken in. */
  | Extract<FetchedPartition, { kind: 'out-of-range' }>
  /** `ready`: a batch became ready; `retry`: the last transient error a partition was answered with. */
  | { readonly kind: 'taken'; readonly ready: boolean; readonly retry: Error | undefined };

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
  // An idle lane's answers name no partition: the lookup of thousands is built only for answers that do.
  if (fetched.length === 0) return { kind: 'taken', ready, retry };
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
    } else if (outcome.kind === 'out-of-range') {
      return outcome;
    } else {
      const accepted = positions.accept(state, outcome);
      if (accepted === 'skipped') onSkipped(state.topic, state.partition, outcome.read.nextOffset);
      ready = accepted === 'ready' || ready;
    }
  }
  return { kind: 'taken', ready, retry };
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
