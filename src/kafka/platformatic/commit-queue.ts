// Commits a source's offsets to its group, one request at a time: offsets added while a commit is in flight are
// gathered (the latest per partition) into the next one, so a fast handler costs one OffsetCommit per round
// trip, not one per batch.
import type { Consumer } from '@platformatic/kafka';
import { errorTree } from './map-error.js';

export type CommittedOffsets = readonly { readonly partition: number; readonly offset: bigint }[];

/** The commit offsets' leader epoch when it is not known (the broker then does not check it). */
const NO_LEADER_EPOCH = -1;

export class CommitQueue {
  readonly #consumer: Consumer;
  readonly #topic: string;
  readonly #onCommitted: (offsets: CommittedOffsets) => void;
  readonly #onError: (error: unknown) => void;
  readonly #pending = new Map<number, bigint>();
  #running: Promise<void> | null = null;

  /**
   * `onCommitted` hears of every successful commit; `onError` of a failed one, except a failure because the group
   * is rebalancing or this member left it: those offsets are dropped, and their records are read again.
   */
  constructor(
    consumer: Consumer,
    topic: string,
    onCommitted: (offsets: CommittedOffsets) => void,
    onError: (error: unknown) => void,
  ) {
    this.#consumer = consumer;
    this.#topic = topic;
    this.#onCommitted = onCommitted;
    this.#onError = onError;
  }

  add(partition: number, offset: bigint): void {
    this.#pending.set(partition, offset);
    this.#running ??= this.#drain();
  }

  /** Resolves once everything added so far was committed, dropped or reported to `onError`. */
  async flush(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#pending.size > 0) {
      const offsets = [...this.#pending].map(([partition, offset]) => ({ partition, offset }));
      this.#pending.clear();
      try {
        await this.#consumer.commit({
          offsets: offsets.map(({ partition, offset }) => ({
            topic: this.#topic,
            partition,
            offset,
            leaderEpoch: NO_LEADER_EPOCH,
          })),
        });
        this.#onCommitted(offsets);
      } catch (error) {
        if (!lostGeneration(error)) this.#onError(error);
      }
    }
    this.#running = null;
  }
}

/** The commit was refused because the group moved on to a new generation (or is getting there). */
function lostGeneration(error: unknown): boolean {
  return errorTree(error).some((link) => (link as { needsRejoin?: unknown }).needsRejoin === true);
}
