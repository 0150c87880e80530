// What the fetch loop asks each broker for, kept while nothing changes. An idle lane of 10,000 partitions sends
// the same request every FETCH_MAX_WAIT_MS: building it again each time (every partition looked up, grouped by
// leader, ordered, noted and named) made an idle process allocate megabytes a second, which kept V8 from ever
// giving its heap back. The fetchable partitions by leader are computed again only when a partition moved
// (FetchPositions.version) or the layout changed; a broker's request is built again only when, besides, its
// byte limit per partition changed.
import type { SentPartitions } from './fetch-answer.js';
import type { FetchPositions, PartitionState, RequestAnswers } from './fetch-positions.js';
import { type FetchLayout, leaderOf, type PartitionFetch } from './partition-fetcher.js';

/**
 * A partition that caught up, whose last batch waits for the handler (still writing the one before), is fetched
 * on, so that it is in the next request to its broker: left out, its next records would wait for that request's
 * answer — a long poll of up to the broker's max wait when its other partitions are idle, a round trip across a
 * WAN. A partition behind is not: reading further ahead of a handler that is slower than the origin only holds
 * memory.
 */
const READY_BATCHES_PER_PARTITION = 2;

/** The partitions that may be fetched now (a position, room for a batch), by the broker leading them. */
export interface FetchableGroups {
  readonly byLeader: ReadonlyMap<number, readonly PartitionState[]>;
  /** Topics with a fetchable partition whose leader the layout does not know. */
  readonly leaderless: ReadonlySet<string>;
  /**
   * Brokers leading a partition left out because its batch waits for the handler, with when the latest of those
   * batches was taken in (performance.now()): how long the partition held back most recently has waited.
   */
  readonly holdingBack: ReadonlyMap<number, number>;
}

/** One broker's request as the loop sends it: the partitions in request order, as noted and as named. */
export interface BuiltRequest {
  readonly states: readonly PartitionState[];
  readonly sent: SentPartitions;
  readonly request: readonly PartitionFetch[];
  /** Some partition is behind its last stable offset: the broker answers at once. */
  readonly immediate: boolean;
  /** Its answers, which its partitions are asked in (PartitionState.askedIn). */
  readonly answers: RequestAnswers;
}

/** What a cached value was computed from. */
interface Basis {
  readonly positionsVersion: number;
  readonly layoutVersion: number;
}

export class FetchRequests {
  #groups: (FetchableGroups & Basis) | undefined;
  readonly #built = new Map<
    number,
    BuiltRequest & Basis & { readonly from: readonly PartitionState[]; readonly maxBytesPerPartition: number }
  >();

  /**
   * The fetchable partitions by leader, those in flight included (the caller leaves out the brokers with a
   * request in flight; a partition in flight elsewhere after its leader moved is left out by `request`).
   */
  groups(positions: FetchPositions, layout: FetchLayout, layoutVersion: number): FetchableGroups {
    const cached = this.#groups;
    if (cached?.positionsVersion === positions.version && cached.layoutVersion === layoutVersion)
      return cached;
    const byLeader = new Map<number, PartitionState[]>();
    const leaderless = new Set<string>();
    const holdingBack = new Map<number, number>();
    for (const state of positions.states()) {
      if (state.position === null) continue;
      const leader = leaderOf(layout, state.topic, state.partition);
      if (!hasRoom(state)) {
        const readyAtMs = state.ready.at(-1)!.readyAtMs;
        holdingBack.set(leader, Math.max(readyAtMs, holdingBack.get(leader) ?? readyAtMs));
        continue;
      }
      if (leader < 0) {
        leaderless.add(state.topic);
        continue;
      }
      const led = byLeader.get(leader);
      if (led === undefined) byLeader.set(leader, [state]);
      else led.push(state);
    }
    this.#groups = { byLeader, leaderless, holdingBack, positionsVersion: positions.version, layoutVersion };
    return this.#groups;
  }

  /**
   * The request for `broker`'s fetchable `states` (from groups()): the one built last time when nothing changed
   * since, else `build` of those not in flight (none: null).
   */
  request(
    broker: number,
    states: readonly PartitionState[],
    basis: Basis & { readonly maxBytesPerPartition: number },
    build: (states: readonly PartitionState[]) => BuiltRequest,
  ): BuiltRequest | null {
    const last = this.#built.get(broker);
    if (
      last !== undefined &&
      last.from === states &&
      last.positionsVersion === basis.positionsVersion &&
      last.layoutVersion === basis.layoutVersion &&
      last.maxBytesPerPartition === basis.maxBytesPerPartition
    )
      return last;
    // A partition still in flight with the broker that led it before: left out, and the request not kept (it
    // would leave the partition out after its answer came).
    if (states.some((state) => state.fetching)) {
      const free = states.filter((state) => !state.fetching);
      return free.length === 0 ? null : build(free);
    }
    const built = { ...build(states), ...basis, from: states };
    this.#built.set(broker, built);
    return built;
  }
}

/** How long a request that leaves out partitions whose batches wait for the handler may wait at the broker. */
export interface HeldBackWait {
  /** At first: the handler writes a batch in a few milliseconds on a near destination. */
  readonly minMs: number;
  /** Then this much of how long the batch has waited… */
  readonly perHeldMs: number;
  /** …up to the broker's own max wait, which the request then keeps (undefined). */
  readonly maxMs: number;
}

/**
 * The max wait of a request to a broker holding back partitions since `heldSinceMs` (FetchableGroups.holdingBack;
 * undefined: none, the broker's own max wait): the partition's next records wait for this request's answer once
 * the handler took its batch. A batch the handler left for long waits on something slow (its replication's
 * bandwidth cap, a slow destination): a longer wait then delays its next records by a fraction of what it already
 * waited, where a short one would poll the broker some 40 times a second across a WAN.
 */
export function heldBackMaxWaitMs(
  wait: HeldBackWait,
  heldSinceMs: number | undefined,
  nowMs: number,
): number | undefined {
  if (heldSinceMs === undefined) return undefined;
  const waitMs = Math.max(wait.minMs, Math.round((nowMs - heldSinceMs) * wait.perHeldMs));
  return waitMs >= wait.maxMs ? undefined : waitMs;
}

/** Whether a partition may be fetched: none of its batches waits for the handler, or it caught up and has room. */
function hasRoom(state: PartitionState): boolean {
  if (state.ready.length === 0) return true;
  const caughtUp = state.lastStableOffset !== null && state.position! >= state.lastStableOffset;
  return caughtUp && state.ready.length < READY_BATCHES_PER_PARTITION;
}

/**
 * Starved partitions first, then the others from a rotating start (`rotation`, raised by each request): the broker
 * may return a batch larger than the partition's share only for the first partition with records, so each gets
 * to be first in turn.
 */
export function requestOrder(states: readonly PartitionState[], rotation: number): PartitionState[] {
  const start = rotation % states.length;
  const ordered: PartitionState[] = [];
  for (const starved of [true, false]) {
    for (let index = 0; index < states.length; index++) {
      const state = states[(start + index) % states.length]!;
      if (state.starved === starved) ordered.push(state);
    }
  }
  return ordered;
}
