// Which origin partitions a process reads in one lane: those of the attached flows whose slot it holds. Pure;
// the lane reader applies the changes (docs/design-shared-transport.md). Attaching or detaching a flow changes
// only that flow's partitions, and a new slot assignment only the partitions of the slots that moved: nothing
// else is stopped or started, which is what keeps a reload from pausing unrelated flows.
import { slotOf } from './lanes.js';

/** A flow attached to the lane: its origin topic and how many partitions that topic has. */
export interface AttachedTopic {
  readonly topic: string;
  readonly partitions: number;
}

/** Partitions to read, by origin topic, ascending; a topic with none is left out. */
export type LanePartitions = ReadonlyMap<string, readonly number[]>;

/** The partitions of `attached` whose slot is in `slots`. */
export function partitionsToRead(
  attached: Iterable<AttachedTopic>,
  slots: ReadonlySet<number>,
): LanePartitions {
  const result = new Map<string, number[]>();
  for (const { topic, partitions } of attached) {
    const held: number[] = [];
    for (let partition = 0; partition < partitions; partition++) {
      if (slots.has(slotOf(topic, partition))) held.push(partition);
    }
    if (held.length > 0) result.set(topic, held);
  }
  return result;
}

export interface LanePartitionChanges {
  /** Partitions read now and not before: each starts from its committed offset. */
  readonly start: LanePartitions;
  /** Partitions read before and not now: each finishes its batch in hand, commits, and is let go. */
  readonly stop: LanePartitions;
}

export function lanePartitionChanges(before: LanePartitions, after: LanePartitions): LanePartitionChanges {
  return { start: difference(after, before), stop: difference(before, after) };
}

/** The partitions of `from` that `without` does not have. */
function difference(from: LanePartitions, without: LanePartitions): LanePartitions {
  const result = new Map<string, number[]>();
  for (const [topic, partitions] of from) {
    const other = new Set(without.get(topic) ?? []);
    const only = partitions.filter((partition) => !other.has(partition));
    if (only.length > 0) result.set(topic, only);
  }
  return result;
}
