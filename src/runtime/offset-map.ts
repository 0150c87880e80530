// Where each origin record landed on the destination, per partition, and the pure translation of a consumer
// group's committed origin offset into a destination offset (disaster recovery: the group resumes there).
//
// A flow writes each batch to the same partition number on the destination; the sink reports the
// destination offset of every record written. Records that are consecutive on both sides coalesce into one
// *segment* (originStart, destinationStart, recordCount), so in steady state the whole history is a single
// segment and translation is exact. A segment also knows how far past its last record the origin is known to
// hold nothing that was copied (`originCoveredEnd`): transaction markers, aborted or compacted records, records
// dropped by loop prevention. Those gaps are known only when nobody else wrote between two records on the
// destination (the destination offsets are contiguous), which also keeps a restart's unknown writes (a crash
// after writing, before the progress was saved) from being mistaken for an empty gap.
//
// The rule that makes a translation safe: a consumer that starts at the translated destination offset P must
// find every origin record at or after O at or after P. It may see some records again (duplicates), never
// miss one. When that cannot be shown the answer is null and the caller keeps the group's previous position.

/** One run of records copied consecutively: origin [originStart, originStart + recordCount) → destination. */
export interface OffsetSegment {
  readonly originStart: bigint;
  readonly destinationStart: bigint;
  readonly recordCount: number;
  /** Origin offsets in [originStart + recordCount, originCoveredEnd) are known to hold no copied record. */
  readonly originCoveredEnd: bigint;
}

/** What is known of one partition; plain data, also what is persisted. */
export interface PartitionOffsetMapData {
  /** In the order they were written (destination offsets increase), oldest first. */
  readonly segments: readonly OffsetSegment[];
  /** The origin offset the flow copies next: everything before it was written (or skipped as a gap). */
  readonly originProgress: bigint | null;
  /** The destination offset after the flow's last written record. */
  readonly destinationEnd: bigint | null;
}

/** Segments kept per partition; every transaction on the origin starts one (its commit marker is a gap). */
export const DEFAULT_MAX_SEGMENTS_PER_PARTITION = 512;

/**
 * Translates a group's committed origin offset (the next record it would read) into the destination offset
 * of the first origin record at or after it that was copied. A group ahead of the mirror gets the mirror's
 * own position on the destination. Null when the offset is older than the segments kept, or falls where the
 * destination may hold records nobody recorded (after a restart): the caller then keeps what it had.
 */
export function translateOffset(map: PartitionOffsetMapData, originOffset: bigint): bigint | null {
  const { segments, originProgress, destinationEnd } = map;
  if (originProgress === null || destinationEnd === null) return null;
  if (originOffset >= originProgress) return destinationEnd;
  // The segment written last that starts at or before the offset: after a rewind (a restart resuming from the
  // committed offset) the newest copy is the one followed by everything that comes after it.
  for (let index = segments.length - 1; index >= 0; index--) {
    const segment = segments[index] as OffsetSegment;
    if (segment.originStart > originOffset) continue;
    const intoSegment = originOffset - segment.originStart;
    if (intoSegment < BigInt(segment.recordCount)) return segment.destinationStart + intoSegment;
    if (originOffset < segment.originCoveredEnd)
      return segment.destinationStart + BigInt(segment.recordCount);
    return null;
  }
  return null;
}

/** One partition's map, updated as the flow writes. Mutable for speed (a batch touches it once per record). */
export class PartitionOffsetMap {
  #segments: MutableSegment[];
  #originProgress: bigint | null;
  #destinationEnd: bigint | null;
  readonly #maxSegments: number;

  constructor(initial: PartitionOffsetMapData | null, maxSegments = DEFAULT_MAX_SEGMENTS_PER_PARTITION) {
    this.#segments = (initial?.segments ?? []).map((segment) => ({ ...segment }));
    this.#originProgress = initial?.originProgress ?? null;
    this.#destinationEnd = initial?.destinationEnd ?? null;
    this.#maxSegments = maxSegments;
  }

  /**
   * Records one acknowledged write: `originOffsets[i]` landed at `destinationOffsets[i]`, both increasing, and
   * the flow now copies from `nextOriginOffset` (past trailing markers of the batch).
   */
  recordWrite(
    originOffsets: readonly bigint[],
    destinationOffsets: readonly bigint[],
    nextOriginOffset: bigint,
  ): void {
    for (let index = 0; index < originOffsets.length; index++) {
      this.#recordOne(originOffsets[index] as bigint, destinationOffsets[index] as bigint);
    }
    const last = this.#segments.at(-1);
    // The batch ended after its last record: what lies between it and nextOffset (markers, aborted records)
    // holds nothing to copy. Only known when this batch wrote that last record.
    if (last !== undefined && originOffsets.length > 0 && nextOriginOffset > last.originCoveredEnd)
      last.originCoveredEnd = nextOriginOffset;
    this.#originProgress = nextOriginOffset;
    if (this.#segments.length > this.#maxSegments)
      this.#segments.splice(0, this.#segments.length - this.#maxSegments);
  }

  /** Records progress without anything written (every record of the batch was dropped by loop prevention). */
  recordSkipped(nextOriginOffset: bigint): void {
    this.#originProgress = nextOriginOffset;
  }

  data(): PartitionOffsetMapData {
    return {
      segments: this.#segments.map((segment) => ({ ...segment })),
      originProgress: this.#originProgress,
      destinationEnd: this.#destinationEnd,
    };
  }

  translate(originOffset: bigint): bigint | null {
    return translateOffset(
      {
        segments: this.#segments,
        originProgress: this.#originProgress,
        destinationEnd: this.#destinationEnd,
      },
      originOffset,
    );
  }

  #recordOne(originOffset: bigint, destinationOffset: bigint): void {
    this.#destinationEnd = destinationOffset + 1n;
    const last = this.#segments.at(-1);
    if (last !== undefined) {
      const lastDestinationEnd = last.destinationStart + BigInt(last.recordCount);
      const lastOriginEnd = last.originStart + BigInt(last.recordCount);
      // Contiguous on the destination: nobody wrote in between, so an origin jump forward is a known gap.
      if (destinationOffset === lastDestinationEnd && originOffset >= last.originCoveredEnd) {
        if (originOffset === lastOriginEnd && last.originCoveredEnd === lastOriginEnd) {
          last.recordCount++;
          last.originCoveredEnd = originOffset + 1n;
          return;
        }
        last.originCoveredEnd = originOffset;
      }
    }
    this.#segments.push({
      originStart: originOffset,
      destinationStart: destinationOffset,
      recordCount: 1,
      originCoveredEnd: originOffset + 1n,
    });
  }
}

type MutableSegment = { -readonly [K in keyof OffsetSegment]: OffsetSegment[K] };
