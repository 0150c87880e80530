// Hands a lane's fetched batches to the handlers of the flows they belong to (lane-reader.ts): one batch per
// partition at a time, at most PARTITIONS_IN_PARALLEL partitions of all the lane's flows in handlers at once (a
// share group with fewer than its share of them gets one beyond: fetch-shares.ts), and each batch's offset
// committed once its handler resolved, for a partition still read here.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BatchHandler, ConsumedBatch } from '../port.js';
import type { CommitQueue } from './commit-queue.js';
import type { FetchLoop } from './fetch-loop.js';
import { partitionKey } from './fetch-session.js';
import { underHandlerShare } from './fetch-shares.js';

/** Batches of this many partitions, of all the lane's flows together, may be in handlers at once. */
const PARTITIONS_IN_PARALLEL = 32;

/** What the handing out needs of a flow attached to the lane. */
export interface HandlingFlow {
  readonly handler: BatchHandler;
  /** Aborted when the flow gave up on its batches in hand: a handler's error then fails nothing. */
  readonly signal: AbortSignal;
  /** Whether the partition is still read here: only then is a batch's offset committed. */
  holds(partition: number): boolean;
}

export interface LaneHandlersDependencies {
  readonly loop: Pick<FetchLoop, 'readyBatches' | 'release' | 'pump' | 'groupCount'>;
  readonly commits: Pick<CommitQueue, 'add'>;
  /** The flow attached to the topic now; undefined when none (its batches are dropped). */
  flowOf(topic: string): HandlingFlow | undefined;
  /** Ends the topic's flow with its handler's error; the other flows go on. */
  fail(topic: string, error: unknown): void;
  /** Nothing is handed out once the lane closed. */
  closed(): boolean;
}

export class LaneHandlers {
  readonly #deps: LaneHandlersDependencies;
  /** Batches in a handler, by `<partition>:<topic>`; each entry settles when its handler did. */
  readonly #inHandler = new Map<string, Promise<void>>();
  /** How many of those are of each share group (as fetched: ReadyBatch.group). */
  readonly #inHandlerByGroup = new Map<string, number>();
  /** Offsets past markers and aborted records that followed a batch still in the handler: committed after it. */
  readonly #skippedTo = new Map<string, bigint>();

  constructor(deps: LaneHandlersDependencies) {
    this.#deps = deps;
  }

  /** The fetch loop skipped to `offset` (markers, aborted records): committed now, or after the batch in hand. */
  skipped(topic: string, partition: number, offset: bigint): void {
    const key = partitionKey(topic, partition);
    if (this.#inHandler.has(key)) this.#skippedTo.set(key, offset);
    else this.#deps.commits.add(topic, partition, offset);
  }

  /** Hands ready batches to their flows while fewer than PARTITIONS_IN_PARALLEL are in handlers. */
  dispatch(): void {
    if (this.#deps.closed()) return;
    const { loop } = this.#deps;
    const groups = loop.groupCount;
    // With every handler busy, only a group under its share of them gets one (in a lane of several groups).
    const busy = (topic: string, partition: number, group: string) =>
      this.#inHandler.has(partitionKey(topic, partition)) ||
      (groups >= 2 &&
        this.#inHandler.size >= PARTITIONS_IN_PARALLEL &&
        !underHandlerShare(this.#inHandlerByGroup.get(group) ?? 0, PARTITIONS_IN_PARALLEL, groups));
    for (const { batch, bytes, group } of loop.readyBatches(busy)) {
      const flow = this.#deps.flowOf(batch.topic);
      if (flow === undefined) {
        loop.release(bytes, group);
        continue;
      }
      this.#inHandler.set(
        partitionKey(batch.topic, batch.partition),
        this.#deliver(flow, batch, bytes, group),
      );
      this.#inHandlerByGroup.set(group, (this.#inHandlerByGroup.get(group) ?? 0) + 1);
      if (this.#inHandler.size >= PARTITIONS_IN_PARALLEL && groups < 2) return;
    }
  }

  /** Waits for the topic's batches in handlers; after `graceMs`, `giveUp` is called (and waited on no longer). */
  async settled(topic: string, graceMs = Number.POSITIVE_INFINITY, giveUp?: () => void): Promise<void> {
    const own = () => [...this.#inHandler].filter(([key]) => topicOf(key) === topic);
    const timer = Number.isFinite(graceMs) ? setTimeout(() => giveUp?.(), graceMs) : undefined;
    try {
      for (let pending = own(); pending.length > 0; pending = own()) {
        await Promise.allSettled(pending.map(([, settled]) => settled));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async #deliver(flow: HandlingFlow, batch: ConsumedBatch, bytes: number, group: string): Promise<void> {
    const { topic, partition } = batch;
    const key = partitionKey(topic, partition);
    try {
      // Handling starts in the event loop's next turn: the fetch loop that handed the batch out sends its next
      // request first (FetchLoopEvents.onReady), not after the handlers' synchronous part (decoding, compressing).
      await nextTurn();
      if (flow.signal.aborted) return; // the flow gave its batches up meanwhile: read again by whoever resumes
      await flow.handler(batch, flow.signal);
      const skippedTo = this.#skippedTo.get(key);
      this.#skippedTo.delete(key);
      // Committed even when the flow stopped meanwhile: the destination acknowledged every record. Only for a
      // partition still in this member's slots: another member may have moved its offset on since.
      if (flow.holds(partition)) this.#deps.commits.add(topic, partition, skippedTo ?? batch.nextOffset);
    } catch (error) {
      if (!flow.signal.aborted) this.#deps.fail(topic, error);
    } finally {
      this.#deps.loop.release(bytes, group);
      this.#inHandler.delete(key);
      const inHandlers = (this.#inHandlerByGroup.get(group) ?? 1) - 1;
      if (inHandlers === 0) this.#inHandlerByGroup.delete(group);
      else this.#inHandlerByGroup.set(group, inHandlers);
      this.dispatch();
      this.#deps.loop.pump();
    }
  }
}

function topicOf(key: string): string {
  return key.slice(key.indexOf(':') + 1);
}
