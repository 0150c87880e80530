// What a flow knows of its progress, for /status, `georep status` and the lag metric: per partition the next
// origin offset to copy and the origin's end offset, each with the time it was learned, and the copy rate.
// Kept apart from the copying itself: a batch only updates a few numbers here; status objects are built when
// someone asks. Values are honest about their age: an end offset that could not be refreshed for a while makes
// the lag unknown (with how old the last figure is) instead of a stale 0, and a flow that copied nothing
// recently has a rate of 0, not the average of a busy minute ago.

export interface PartitionProgress {
  readonly partition: number;
  /** The next origin offset to copy (everything before it is on the destination), or null if unknown yet. */
  readonly position: string | null;
  /** The origin's end offset (read_committed) when last looked at, or null. */
  readonly endOffset: string | null;
  /** Records not yet copied; null while the position or end offset is unknown or too old. */
  readonly lag: number | null;
  /** When the end offset was last learned (a fetch's high watermark or a lag refresh), or null. */
  readonly endOffsetAtMs: number | null;
}

export interface ProgressSummary {
  /** Sum of the partitions' lag; null when any of them is unknown or too old. */
  readonly lag: number | null;
  /** When the oldest end offset behind `lag` was learned; with `lag: null`, how old the last figure is. */
  readonly lagMeasuredAtMs: number | null;
  readonly recordsPerSecond: number;
  /** When the destination last acknowledged a batch of this flow, or null. */
  readonly lastBatchAtMs: number | null;
  /**
   * How far behind the copy is in time: over the partitions with lag, the longest time since the newest record
   * copied there was written on the origin (its timestamp). 0 without lag; null when the lag is unknown, or a
   * partition with lag has not copied a record in this process yet.
   */
  readonly timeLagMs: number | null;
}

export interface FlowProgressOptions {
  /** An end offset older than this no longer counts: the lag becomes unknown. */
  readonly staleAfterMs: number;
  /** The rate is measured over this window; with no batch in it, the rate is 0. */
  readonly rateWindowMs: number;
}

interface PartitionState {
  position: bigint | null;
  endOffset: bigint | null;
  endOffsetAtMs: number | null;
  /** The newest origin timestamp among the records copied from this partition, or null. */
  copiedTimestampMs: number | null;
}

export class FlowProgress {
  readonly #nowMs: () => number;
  readonly #options: FlowProgressOptions;
  #partitions = new Map<number, PartitionState>();
  /** (time, records) of each batch copied within the rate window. */
  readonly #batches: { atMs: number; records: number }[] = [];
  #lastBatchAtMs: number | null = null;

  constructor(nowMs: () => number, options: FlowProgressOptions) {
    this.#nowMs = nowMs;
    this.#options = options;
  }

  /** The partitions this process holds now; what was known of the ones it keeps stays. */
  assigned(partitions: readonly number[]): void {
    const previous = this.#partitions;
    this.#partitions = new Map(
      partitions.map((partition) => [
        partition,
        previous.get(partition) ?? {
          position: null,
          endOffset: null,
          endOffsetAtMs: null,
          copiedTimestampMs: null,
        },
      ]),
    );
  }

  heldPartitions(): number[] {
    return [...this.#partitions.keys()];
  }

  /**
   * A batch reached the destination: its partition now resumes at `nextOffset`; `newestTimestampMs` is the
   * newest origin timestamp among its records.
   */
  batchCopied(
    partition: number,
    nextOffset: bigint,
    highWatermark: bigint,
    records: number,
    newestTimestampMs: number | null = null,
  ): void {
    const atMs = this.#nowMs();
    // A batch that finishes after its partition moved to another process (its slot moved while the batch was
    // in the handler) counts as copied, but the partition is not this process's to show any more.
    const state = this.#partitions.get(partition);
    if (state !== undefined) {
      state.position = nextOffset;
      if (newestTimestampMs !== null && (state.copiedTimestampMs ?? -Infinity) < newestTimestampMs)
        state.copiedTimestampMs = newestTimestampMs;
      if (state.endOffset === null || highWatermark >= state.endOffset) {
        state.endOffset = highWatermark;
        state.endOffsetAtMs = atMs;
      }
    }
    this.#batches.push({ atMs, records });
    this.#lastBatchAtMs = atMs;
    this.#dropOldBatches(atMs);
  }

  /** Offsets the group committed: a position no smaller than what is known. */
  committed(partition: number, offset: bigint): void {
    const state = this.#partitions.get(partition);
    if (state !== undefined && (state.position === null || offset > state.position)) state.position = offset;
  }

  /** End offsets read from the origin at `atMs`. */
  endOffsetsLearned(ends: readonly { partition: number; latest: bigint }[], atMs: number): void {
    for (const { partition, latest } of ends) {
      const state = this.#partitions.get(partition);
      if (state === undefined) continue;
      state.endOffset = latest;
      state.endOffsetAtMs = atMs;
    }
  }

  /** Partitions whose position is not known yet (no batch, no commit seen). */
  partitionsWithoutPosition(): number[] {
    return [...this.#partitions]
      .filter(([, state]) => state.position === null)
      .map(([partition]) => partition);
  }

  positionLearned(partition: number, position: bigint): void {
    const state = this.#partitions.get(partition);
    if (state !== undefined && state.position === null) state.position = position;
  }

  partitions(): PartitionProgress[] {
    const nowMs = this.#nowMs();
    return [...this.#partitions.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partition, state]) => ({
        partition,
        position: state.position?.toString() ?? null,
        endOffset: state.endOffset?.toString() ?? null,
        lag: this.#fresh(state, nowMs) ? partitionLag(state) : null,
        endOffsetAtMs: state.endOffsetAtMs,
      }));
  }

  /**
   * Sum of the held partitions' lag; null when any of them is unknown or too old (or none is held). What the
   * lag gauge shows after every batch, so it builds nothing: a loop over the held partitions.
   */
  lag(): number | null {
    if (this.#partitions.size === 0) return null;
    const nowMs = this.#nowMs();
    let sum = 0;
    for (const state of this.#partitions.values()) {
      const lag = this.#fresh(state, nowMs) ? partitionLag(state) : null;
      if (lag === null) return null;
      sum += lag;
    }
    return sum;
  }

  /** Everything /status shows of the progress; built only when someone asks. */
  summary(): ProgressSummary {
    const nowMs = this.#nowMs();
    this.#dropOldBatches(nowMs);
    const states = [...this.#partitions.values()];
    const measuredAt = states.map((state) => state.endOffsetAtMs);
    const oldest = measuredAt.some((at) => at === null)
      ? null
      : measuredAt.reduce<number | null>((min, at) => (min === null || (at ?? 0) < min ? at : min), null);
    const lag = this.lag();
    return {
      lag,
      lagMeasuredAtMs: oldest,
      recordsPerSecond: this.#recordsPerSecond(nowMs),
      lastBatchAtMs: this.#lastBatchAtMs,
      timeLagMs: lag === null ? null : timeLagMs(states, nowMs),
    };
  }

  #fresh(state: PartitionState, nowMs: number): boolean {
    return state.endOffsetAtMs !== null && nowMs - state.endOffsetAtMs <= this.#options.staleAfterMs;
  }

  /**
   * Records per second over the window, 0 when it holds no batch: a flow that stopped copying shows 0 once its
   * last batch leaves the window, not the average of a busy minute ago.
   */
  #recordsPerSecond(nowMs: number): number {
    const first = this.#batches[0];
    if (first === undefined) return 0;
    const records = this.#batches.reduce((sum, batch) => sum + batch.records, 0);
    // At least a second, so that one batch just copied does not read as a burst of millions per second.
    const elapsedMs = Math.max(nowMs - first.atMs, 1_000);
    return Math.round((records * 1000) / elapsedMs);
  }

  #dropOldBatches(nowMs: number): void {
    while (this.#batches.length > 0 && this.#batches[0]!.atMs < nowMs - this.#options.rateWindowMs) {
      this.#batches.shift();
    }
  }
}

function partitionLag(state: PartitionState): number | null {
  if (state.position === null || state.endOffset === null) return null;
  const lag = state.endOffset - state.position;
  return lag > 0n ? Number(lag) : 0;
}

/**
 * The longest time behind over the partitions with lag; null when one of them copied nothing yet. Only asked
 * when every partition's lag is known and fresh.
 */
function timeLagMs(states: readonly PartitionState[], nowMs: number): number | null {
  let longestMs = 0;
  for (const state of states) {
    if ((partitionLag(state) ?? 0) === 0) continue;
    if (state.copiedTimestampMs === null) return null;
    longestMs = Math.max(longestMs, nowMs - state.copiedTimestampMs);
  }
  return longestMs;
}
