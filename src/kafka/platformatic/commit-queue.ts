// Commits a source's offsets (of one topic or many) to its group, one request at a time: offsets added while a commit is in flight are
// gathered (the latest per partition) into the next one, so a fast handler costs one OffsetCommit per round
// trip, not one per batch. A commit that fails on the network is tried again (with the offsets added since)
// for as long as the source runs: an origin down for a while must not cost the source its group membership.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer } from '@platformatic/kafka';
import { errorTree, failedOnNetwork, innermostMessage } from './map-error.js';

export type CommittedOffsets = readonly {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}[];

export interface CommitQueueEvents {
  /** Hears of every successful commit. */
  onCommitted(offsets: CommittedOffsets): void;
  /**
   * Hears of a failed commit, except a failure because the group is rebalancing or this member left it (those
   * offsets are dropped, and their records are read again) and a network failure while `retrying()`.
   */
  onError(error: unknown): void;
  /** A commit failed on the network; it is tried again after retryDelayMs while `retrying()`. */
  onUnreachable(detail: string): void;
  readonly retryDelayMs: number;
  retrying(): boolean;
}

/** The offsets of a commit by topic, each topic's in the commit's order. */
export function offsetsByTopic(
  offsets: CommittedOffsets,
): Map<string, { readonly partition: number; readonly offset: bigint }[]> {
  const byTopic = new Map<string, { readonly partition: number; readonly offset: bigint }[]>();
  for (const { topic, partition, offset } of offsets) {
    const own = byTopic.get(topic);
    if (own === undefined) byTopic.set(topic, [{ partition, offset }]);
    else own.push({ partition, offset });
  }
  return byTopic;
}

/** The commit offsets' leader epoch when it is not known (the broker then does not check it). */
const NO_LEADER_EPOCH = -1;

export class CommitQueue {
  readonly #consumer: Consumer;
  readonly #events: CommitQueueEvents;
  /** The latest offset to commit by topic-partition (the key `<partition>:<topic>`). */
  readonly #pending = new Map<string, { topic: string; partition: number; offset: bigint }>();
  #running: Promise<void> | null = null;

  constructor(consumer: Consumer, events: CommitQueueEvents) {
    this.#consumer = consumer;
    this.#events = events;
  }

  add(topic: string, partition: number, offset: bigint): void {
    this.#pending.set(`${partition}:${topic}`, { topic, partition, offset });
    this.#running ??= this.#drain();
  }

  /** Resolves once everything added so far was committed, dropped or reported to `onError`. */
  async flush(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#pending.size > 0) {
      const offsets = [...this.#pending.values()];
      this.#pending.clear();
      try {
        await this.#consumer.commit({
          offsets: offsets.map(({ topic, partition, offset }) => ({
            topic,
            partition,
            offset,
            leaderEpoch: NO_LEADER_EPOCH,
          })),
        });
        this.#events.onCommitted(offsets);
      } catch (error) {
        if (failedOnNetwork(error) && this.#events.retrying()) {
          this.#events.onUnreachable(`offset commit failed: ${innermostMessage(error)}`);
          // Offsets added meanwhile are newer: they win.
          for (const entry of offsets) {
            const key = `${entry.partition}:${entry.topic}`;
            if (!this.#pending.has(key)) this.#pending.set(key, entry);
          }
          await sleep(this.#events.retryDelayMs);
        } else if (!lostGeneration(error)) {
          this.#events.onError(error);
        }
      }
    }
    this.#running = null;
  }
}

/** The commit was refused because the group moved on to a new generation (or is getting there). */
function lostGeneration(error: unknown): boolean {
  return errorTree(error).some((link) => (link as { needsRejoin?: unknown }).needsRejoin === true);
}
