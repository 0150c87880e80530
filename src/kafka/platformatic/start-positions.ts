// Where each assigned partition starts, and a partition's current range: the lookups a source makes through the
// library's Consumer (OffsetFetch to the group's coordinator, ListOffsets to the leaders; position-reads.ts).
import { type Consumer, ListOffsetTimestamps } from '@platformatic/kafka';
import type { StartPosition } from '../port.js';
import { directPositionReads, type PositionReads } from './position-reads.js';

/** OffsetFetch's answer for a partition the group has no offset for. */
const NO_COMMITTED_OFFSET = -1n;

export interface StartPositionsOptions {
  readonly topic: string;
  readonly startPosition: StartPosition;
  /** Exactly-once: a stored position that wins over the group's committed offset (see port.ts). */
  readonly resumePositionOf?: (partition: number) => Promise<bigint | null>;
  /** Offsets, by partition, for partitions the group has none for (another group's: an upgrade, see port.ts). */
  readonly previousOffsets?: () => Promise<ReadonlyMap<number, bigint>>;
}

/**
 * The offset each of `partitions` starts at: `resumePositionOf` if it gives one, else the group's committed
 * offset, else `previousOffsets`' (asked only when some partition has neither), else the partition's earliest
 * or latest offset (`startPosition`; latest is the last stable offset,
 * what a read_committed consumer can read). A rejection of `resumePositionOf` is passed on unchanged in
 * `ResumePositionFailed`, so the source can report it as the caller's own error.
 */
export async function startPositions(
  reads: PositionReads,
  partitions: readonly number[],
  options: StartPositionsOptions,
): Promise<Map<number, bigint>> {
  const { topic } = options;
  const positions = new Map<number, bigint>();
  if (partitions.length === 0) return positions;
  const resumed = await Promise.all(
    partitions.map(async (partition) => {
      if (options.resumePositionOf === undefined) return null;
      try {
        return await options.resumePositionOf(partition);
      } catch (error) {
        throw new ResumePositionFailed(error);
      }
    }),
  );
  const committed = await reads.committed(topic, partitions);
  let withoutPosition: number[] = [];
  partitions.forEach((partition, index) => {
    const position = resumed[index] ?? committed[partition] ?? NO_COMMITTED_OFFSET;
    if (position === NO_COMMITTED_OFFSET) withoutPosition.push(partition);
    else positions.set(partition, position);
  });
  if (withoutPosition.length > 0 && options.previousOffsets !== undefined) {
    const previous = await options.previousOffsets();
    for (const partition of withoutPosition) {
      const offset = previous.get(partition);
      if (offset !== undefined) positions.set(partition, offset);
    }
    withoutPosition = withoutPosition.filter((partition) => !positions.has(partition));
  }
  if (withoutPosition.length > 0) {
    const offsets = await reads.listed(
      topic,
      withoutPosition,
      options.startPosition === 'earliest' ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
    );
    for (const partition of withoutPosition) {
      const offset = offsets[partition];
      if (offset === undefined)
        throw new Error(`no ${options.startPosition} offset for partition ${partition}`);
      positions.set(partition, offset);
    }
  }
  return positions;
}

/** The partition's log start offset and last stable offset, or null when they cannot be had. */
export async function partitionRange(
  consumer: Consumer,
  topic: string,
  partition: number,
): Promise<{ earliest: bigint; latest: bigint } | null> {
  const reads = directPositionReads(consumer);
  try {
    const [earliest, latest] = await Promise.all([
      reads.listed(topic, [partition], ListOffsetTimestamps.EARLIEST),
      reads.listed(topic, [partition], ListOffsetTimestamps.LATEST),
    ]);
    const range = { earliest: earliest[partition], latest: latest[partition] };
    return range.earliest === undefined || range.latest === undefined
      ? null
      : { earliest: range.earliest, latest: range.latest };
  } catch {
    return null;
  }
}

/** `resumePositionOf` rejected; `cause` is its error. */
export class ResumePositionFailed extends Error {
  constructor(cause: unknown) {
    super('resumePositionOf failed', { cause });
  }
}
