// The fetching half of a source: which assigned partitions (of one topic or many) are fetched next, from which
// broker, and what becomes of failures. A partition holds one fetched batch waiting for the handler ("ready"),
// two once it caught up (fetch-requests.ts); one request is in flight per broker, covering every partition it
// leads that has room; and the bytes held (ready batches, batches in the handler, requests in flight) stay under
// the budget of fetch-budget.ts (shared out between a lane's share groups, fetch-shares.ts), which grows with the
// round trip to the origin so that reading overlaps writing across a WAN. The source takes ready batches out with
// readyBatches() and gives their bytes back with release(); fetch-positions.ts keeps where each partition stands.
//
// A cluster that stops answering is reported at once from the requests themselves (onUnreachable): a fetch or
// metadata request that fails on the network (refused, reset, closed), or a fetch without an answer for
// `silentAfterMs`. Such failures are retried every `retryDelayMs` for as long as they last, with fresh
// metadata, so that fetching resumes within that delay once the cluster answers again; they never stop the
// source, which keeps its group membership (a new member would wait for the old one's session to expire).
import { debuglog } from 'node:util';
import type { FetchedEndOffset } from '../port.js';
import { describeAnswer, type StoppedPartition, sentPartitions, sizeOf, takeAnswer } from './fetch-answer.js';
import { FetchBudget, type FetchBudgetLimits, type FetchSize } from './fetch-budget.js';
import {
  askIn,
  FetchPositions,
  NO_SHARE_GROUP,
  type PartitionState,
  type ReadyBatch,
  type RequestAnswers,
} from './fetch-positions.js';
import {
  type BuiltRequest,
  FetchRequests,
  type HeldBackWait,
  heldBackMaxWaitMs,
  requestOrder,
} from './fetch-requests.js';
import { type SharedFetchSize, ShareReservations, sizedRequest } from './fetch-shares.js';
import { failedOnNetwork, innermostMessage, reportsTopicMissing } from './map-error.js';
import type { FetchedPartition, FetchLayout, PartitionFetcher } from './partition-fetcher.js';

/** Why a partition is not fetched (NODE_DEBUG=georep-fetch): layouts loaded, requests sent and answered. */
const trace = debuglog('georep-fetch');

export interface FetchLoopLimits {
  /** Everything fetched and not yet released, plus what the requests in flight may bring. */
  readonly budget: FetchBudgetLimits;
  /** Failed fetches in a row (leader moving, a partition not yet known) before onFailure; network failures don't count. */
  readonly fetchAttempts: number;
  readonly retryDelayMs: number;
  /** How long a request leaving out a partition whose batch waits for the handler may wait (heldBackMaxWaitMs). */
  readonly heldBackWait: HeldBackWait;
  /**
   * A fetch without an answer this long, plus the time its maxBytes take at minTransferBytesPerSecond, is
   * reported to onUnreachable: the broker's max wait plus slack, and a large answer's time on a slow link.
   */
  readonly silentAfterMs: number;
  readonly minTransferBytesPerSecond: number;
}

export interface FetchLoopEvents {
  /** Whether fetching may go on now (not paused, stopping or rebalancing). */
  canFetch(): boolean;
  /**
   * A batch became ready: take it out at once (readyBatches()), but handle it in the event loop's next turn, after
   * the loop sent its next request (with the partitions just taken in it).
   */
  onReady(): void;
  /** A fetch found only markers or aborted records up to `offset`: nothing to hand on, but the group may move past. */
  onSkipped(topic: string, partition: number, offset: bigint): void;
  onStopped(stopped: StoppedPartition): void;
  /** A failure that does not heal, or transient ones `fetchAttempts` times in a row. */
  onFailure(error: unknown): void;
  /**
   * When given: the metadata request before a fetch found that the cluster has no topic `topic` any more. The
   * listener lets the topic go (assign(topic, [])); the others' metadata is asked for again at once. Without it,
   * a missing topic fails the metadata request like any transient error (a reader of one topic).
   */
  onTopicMissing?(topic: string): void;
  isTransient(error: unknown): boolean;
  /** A request failed on the network or a fetch got no answer in time; `detail` names the broker. Retried. */
  onUnreachable(detail: string): void;
  /** A fetch was answered (whatever it held). */
  onAnswered(): void;
}

export class FetchLoop {
  readonly #fetcher: PartitionFetcher;
  readonly #limits: FetchLoopLimits;
  readonly #events: FetchLoopEvents;
  readonly #budget: FetchBudget;
  readonly #positions = new FetchPositions();
  #layout: FetchLayout | undefined;
  /** Raised with each layout taken in (the fetcher updates one layout object in place). */
  #layoutVersion = 0;
  readonly #requests = new FetchRequests();
  #loadingLayout = false;
  /** When the latest layout load of some topics started (performance.now()), and the timer of the next one. */
  #topicsLayoutLoadedAtMs = Number.NEGATIVE_INFINITY;
  #topicsLayoutTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #brokersFetching = new Set<number>();
  #reservedBytes = 0;
  readonly #shareReservations = new ShareReservations();
  #rotation = 0;

  constructor(
    fetcher: PartitionFetcher,
    layout: FetchLayout | undefined,
    limits: FetchLoopLimits,
    events: FetchLoopEvents,
  ) {
    this.#fetcher = fetcher;
    this.#layout = layout;
    this.#limits = limits;
    this.#events = events;
    this.#budget = new FetchBudget(limits.budget);
  }

  // Assignment, start positions and ready batches: see FetchPositions.
  assign(topic: string, partitions: readonly number[]): void {
    this.#positions.assign(topic, partitions);
  }

  start(topic: string, partition: number, position: bigint): void {
    this.#positions.start(topic, partition, position);
  }

  has(topic: string, partition: number): boolean {
    return this.#positions.has(topic, partition);
  }

  rewind(): void {
    this.#positions.rewind();
  }

  readyBatches(busy: (topic: string, partition: number, group: string) => boolean): Generator<ReadyBatch> {
    return this.#positions.readyBatches(busy);
  }

  release(bytes: number, group = NO_SHARE_GROUP): void {
    this.#positions.release(bytes, group);
  }

  setGroup(topic: string, group: string | null): void {
    this.#positions.setGroup(topic, group);
  }

  get groupCount(): number {
    return this.#positions.groupCount;
  }

  /** What the answers told of the ends of `topic`'s partitions, and how long ago (FetchPositions.fetchedEnds). */
  fetchedEnds(topic: string): FetchedEndOffset[] {
    return this.#positions.fetchedEnds(topic, performance.now());
  }

  stop(): void {
    this.rewind();
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#topicsLayoutTimer);
    this.#topicsLayoutTimer = undefined;
  }

  /** Sends a fetch to every broker that has none in flight and leads partitions with room, if memory allows. */
  pump(): void {
    if (!this.#events.canFetch()) return;
    const layout = this.#layout;
    if (layout === undefined) {
      if (this.#positions.topics().length > 0) this.#loadLayout();
      return;
    }
    // Called after each handler: a lane's thousands of partitions are looked through once a broker is free.
    if (this.#everyBrokerFetching(layout)) return;
    const { byLeader, leaderless, holdingBack } = this.#requests.groups(
      this.#positions,
      layout,
      this.#layoutVersion,
    );
    for (const [broker, states] of byLeader) {
      if (this.#brokersFetching.has(broker)) continue;
      const used = this.#positions.heldBytes + this.#reservedBytes;
      const sized = sizedRequest(this.#budget, this.#positions, used, states, this.#shareReservations);
      if (sized === null) {
        trace('no room: %d bytes held, %d reserved', this.#positions.heldBytes, this.#reservedBytes);
        if (this.#positions.groupCount < 2) return;
        continue;
      }
      const { fetchable, size } = sized;
      const basis = {
        positionsVersion: this.#positions.version,
        layoutVersion: this.#layoutVersion,
        maxBytesPerPartition: size.maxBytesPerPartition,
      };
      const built = this.#requests.request(broker, fetchable, basis, (free) => this.#build(free, size));
      // A share group's own request leaves out other groups' partitions: no short wait for theirs (fetch-shares.ts).
      const heldSinceMs = size.shareGroup === null ? holdingBack.get(broker) : undefined;
      const maxWaitMs = heldBackMaxWaitMs(this.#limits.heldBackWait, heldSinceMs, performance.now());
      if (built !== null) this.#fetchFrom(layout, broker, built, size, maxWaitMs);
    }
    if (leaderless.size > 0) {
      // topics attached or grown since, or a leader being elected: their layout is loaded, the others fetch on
      trace('no leader known for partitions of %s: loading their layout', [...leaderless].join());
      this.#loadTopicsLayout([...leaderless]);
    }
  }

  #everyBrokerFetching(layout: FetchLayout): boolean {
    if (this.#brokersFetching.size < layout.brokers.size) return false;
    for (const broker of layout.brokers.keys()) if (!this.#brokersFetching.has(broker)) return false;
    return layout.brokers.size > 0;
  }

  /**
   * Loads the layout of topics without a known leader, at most once per retryDelayMs: a partition whose leader is
   * being elected (or whose only replica is down) is asked about again after a pause, not in a loop.
   */
  #loadTopicsLayout(topics: readonly string[]): void {
    if (this.#loadingLayout || this.#topicsLayoutTimer !== undefined) return;
    const waitMs = this.#topicsLayoutLoadedAtMs + this.#limits.retryDelayMs - performance.now();
    if (waitMs > 0) {
      this.#topicsLayoutTimer = setTimeout(() => {
        this.#topicsLayoutTimer = undefined;
        this.pump();
      }, waitMs);
      return;
    }
    this.#topicsLayoutLoadedAtMs = performance.now();
    this.#loadLayout(topics);
  }

  /** The request for `states` (all led by one broker), in request order. */
  #build(states: readonly PartitionState[], size: FetchSize): BuiltRequest {
    const ordered = requestOrder(states, this.#rotation++);
    const sent = sentPartitions(ordered);
    const request = sent.map(({ state, offset }) => ({
      topic: state.topic,
      partition: state.partition,
      offset,
      maxBytes: size.maxBytesPerPartition,
    }));
    const immediate = sent.some(
      ({ state, offset }) => state.lastStableOffset !== null && offset < state.lastStableOffset,
    );
    const answers: RequestAnswers = { lastAtMs: null };
    for (const state of ordered) askIn(state, answers);
    return { states: ordered, sent, request, immediate, answers };
  }

  #fetchFrom(
    layout: FetchLayout,
    broker: number,
    built: BuiltRequest,
    size: SharedFetchSize,
    maxWaitMs: number | undefined,
  ): void {
    const { maxBytes } = size;
    const { states, request, immediate } = built;
    for (const state of states) state.fetching = true;
    this.#brokersFetching.add(broker);
    this.#reservedBytes += size.reservedBytes;
    this.#shareReservations.add(size);
    const sentAtMs = performance.now();
    const from = describeBroker(layout, broker);
    if (trace.enabled)
      trace(
        'fetch from %s: %s',
        from,
        request.map((entry) => `${entry.topic}/${entry.partition}@${entry.offset}`).join(' '),
      );
    const silentAfterMs =
      this.#limits.silentAfterMs + Math.round((maxBytes * 1000) / this.#limits.minTransferBytesPerSecond);
    const silence = setTimeout(() => {
      if (!this.#events.canFetch()) return;
      this.#events.onUnreachable(`no fetch response from ${from} for ${(silentAfterMs / 1000).toFixed(1)} s`);
    }, silentAfterMs);
    silence.unref(); // a watchdog, not a reason for the process to stay
    this.#fetcher
      .fetch(layout, broker, request, maxBytes, maxWaitMs)
      .then(
        (fetched) => {
          this.#budget.answered({ elapsedMs: performance.now() - sentAtMs, immediate, ...sizeOf(fetched) });
          this.#onFetched(built, fetched, from);
        },
        (error: unknown) => this.#onFetchFailed(error, `fetch from ${from}`),
      )
      .catch((error: unknown) => this.#events.onFailure(error))
      .finally(() => {
        clearTimeout(silence);
        for (const state of states) state.fetching = false;
        this.#brokersFetching.delete(broker);
        this.#reservedBytes -= size.reservedBytes;
        this.#shareReservations.remove(size);
        this.pump();
      });
  }

  #onFetched({ sent, answers }: BuiltRequest, fetched: readonly FetchedPartition[], from: string): void {
    if (!this.#events.canFetch()) return;
    if (trace.enabled) trace('answer from %s: %s', from, describeAnswer(fetched));
    this.#events.onAnswered();
    answers.lastAtMs = performance.now();
    const taken = takeAnswer(this.#positions, sent, fetched, this.#events.onSkipped.bind(this.#events));
    // The other partitions of the answer are taken in all the same, and their batches handed on.
    for (const stopped of taken.stopped) this.#events.onStopped(stopped);
    if (taken.retry === undefined) this.#failures = 0;
    else this.#onFetchFailed(taken.retry, `fetch from ${from}`);
    if (taken.ready) this.#events.onReady();
  }

  /**
   * Network failures are reported and retried after retryDelayMs for as long as they last; other transient
   * failures after a pause growing with each one; others, or too many in a row, end the source. Every retry
   * starts with fresh metadata. `what` names the request (`fetch from broker 1 (host:port)`).
   */
  #onFetchFailed(error: unknown, what: string): void {
    if (!this.#events.canFetch()) return; // stopping closes the connections under requests in flight
    if (failedOnNetwork(error)) {
      this.#events.onUnreachable(`${what} failed: ${innermostMessage(error)}`);
      this.#retryLater(this.#limits.retryDelayMs);
      return;
    }
    this.#failures += 1;
    if (!this.#events.isTransient(error) || this.#failures >= this.#limits.fetchAttempts) {
      this.#events.onFailure(error);
      return;
    }
    this.#retryLater(this.#limits.retryDelayMs * this.#failures);
  }

  #retryLater(delayMs: number): void {
    this.#layout = undefined;
    this.#layoutVersion += 1;
    if (this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.pump();
    }, delayMs);
  }

  /** Loads the layout of `topics` (by default, every topic read) into the fetcher's, then fetches with it. */
  #loadLayout(topics: readonly string[] = this.#positions.topics()): void {
    if (this.#loadingLayout || this.#retryTimer !== undefined) return;
    this.#loadingLayout = true;
    void this.#fetcher.layout(topics, true).then(
      (layout) => {
        if (trace.enabled)
          trace(
            'layout of %s',
            [...layout.leaders].map(([topic, leaders]) => `${topic}:[${leaders.join()}]`).join(' '),
          );
        // Taken in, and fetched with, in one step: a partition assigned since finds no leader in this layout
        // and loads the next one at once. Were this one still loading then, nothing would load the next.
        this.#loadingLayout = false;
        this.#layout = layout;
        this.#layoutVersion += 1;
        this.pump();
      },
      async (error: unknown) => {
        try {
          if (!(await this.#droppedMissingTopics(error))) this.#onFetchFailed(error, 'metadata request');
        } finally {
          this.#loadingLayout = false; // every way out above fetches again later, or fails the loop
        }
      },
    );
  }

  /**
   * When the metadata request failed because a topic is unknown, asks which ones are (the library's error names
   * one, and may name the wrong one when it lists many), lets each go through onTopicMissing, and loads the
   * others' layout again. False when that is not the case, or asking failed (the error goes on).
   */
  async #droppedMissingTopics(error: unknown): Promise<boolean> {
    const onTopicMissing = this.#events.onTopicMissing;
    if (onTopicMissing === undefined || !reportsTopicMissing(error) || !this.#events.canFetch()) return false;
    const missing = await this.#fetcher.unknownTopics(this.#positions.topics()).catch(() => null);
    if (missing === null) return false;
    if (missing.length === 0) {
      // No topic read now is missing: the request named one given up since it left (its flow stopped), or the
      // brokers did not agree yet. Tried again like a transient failure, which it is for the topics read now.
      this.#failures += 1;
      if (this.#failures >= this.#limits.fetchAttempts) return false;
      this.#retryLater(this.#limits.retryDelayMs * this.#failures);
      return true;
    }
    for (const topic of missing) onTopicMissing(topic);
    setImmediate(() => this.pump());
    return true;
  }
}

/** `broker 1 (127.0.0.1:9092)`, as an operator finds it in the cluster's config. */
function describeBroker(layout: FetchLayout, broker: number): string {
  const address = layout.brokers.get(broker);
  return address === undefined ? `broker ${broker}` : `broker ${broker} (${address.host}:${address.port})`;
}
