// Where each assigned partition of a fetch loop stands: the next offset to fetch, the batches fetched ahead and
// waiting for the handler ("ready", in order), and the bytes those ready batches and the batches in the handler
// hold. Plain bookkeeping, no requests: fetch-loop.ts decides what to fetch from it and
// fetch-answer.ts brings the answers in.
//
// Fetched data is thrown away (a rewind, a partition given up) by moving the position back to resumeOffset, past
// the last batch taken, and raising the partition's epoch: the answer to a request that left before is then
// recognised as stale and ignored.
//
// The bytes held are also counted by share group (a topic's, setGroup()): a lane's budget and handlers are shared
// out between its groups (fetch-shares.ts).
import type { ConsumedBatch, FetchedEndOffset } from '../port.js';
import type { FetchedPartition } from './partition-fetcher.js';

export interface ReadyBatch {
  readonly batch: ConsumedBatch;
  readonly bytes: number;
  /** The share group of its topic when it was fetched: its bytes are given back to that group. */
  readonly group: string;
  /** When its answer was taken in (performance.now()): how long it has waited for the handler since. */
  readonly readyAtMs: number;
}

/** The share group of a topic that has none set: a source of one topic, a lane of one group. */
export const NO_SHARE_GROUP = '';

export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to fetch; null until the start position is known. */
  position: bigint | null;
  /** Past the last batch taken (or the start): where fetching starts again after fetched data was thrown away. */
  resumeOffset: bigint | null;
  /** Raised whenever fetched data is thrown away, so that the answer to an earlier request is ignored. */
  epoch: number;
  /** A request for this partition is in flight (set by the fetch loop). */
  fetching: boolean;
  /** Fetched batches waiting for the handler, oldest first. */
  readonly ready: ReadyBatch[];
  /** The last fetch got nothing below the last stable offset (a batch too large to come whole): asked first. */
  starved: boolean;
  /** The last stable offset of the last answer: below it, the broker answers a fetch at once. */
  lastStableOffset: bigint | null;
  /**
   * The request the partition is asked for in now (sent again as it is while nothing changes), whose last answer
   * tells when lastStableOffset was last the broker's: in an incremental fetch session the broker leaves a
   * partition out of its answer when its high watermark did not move, and the last stable offset moves only
   * with it (a transaction ends once its marker is replicated), so an earlier answer's figure holds until then.
   * null when not known: its data was thrown away (the answer in flight is ignored) or it was answered with an
   * error; the next request built for it sets it again.
   */
  askedIn: RequestAnswers | null;
  /** When the request it was asked in before was last answered: what holds until askedIn's first answer. */
  answeredBeforeAtMs: number | null;
}

/** The answers to one fetch request, sent again and again while nothing changes. */
export interface RequestAnswers {
  /** When the broker last answered it (performance.now()); null before its first answer. */
  lastAtMs: number | null;
}

/** What a partition's answer made of it: a batch ready, only markers skipped (the group may move past), or nothing. */
export type Accepted = 'ready' | 'skipped' | 'nothing';

export class FetchPositions {
  /** By topic, by partition number. */
  readonly #partitions = new Map<string, Map<number, PartitionState>>();
  /**
   * The partitions with a ready batch, in the order their batches became ready: handing batches out looks at
   * these only, not at every partition of a lane of thousands each time a handler finishes.
   */
  readonly #ready = new Set<PartitionState>();
  #heldBytes = 0;
  readonly #heldBytesByGroup = new Map<string, number>();
  /** Share groups by topic, and the number of topics in each group. */
  readonly #groupOf = new Map<string, string>();
  readonly #topicsByGroup = new Map<string, number>();
  #version = 0;

  /**
   * Raised by every change to what may be fetched and from where (a partition assigned, started, thrown away, a
   * batch taken or an answer taken in): while it stays, the requests built from these positions stay right.
   */
  get version(): number {
    return this.#version;
  }

  /** The bytes of the ready batches and of those taken and not yet released. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** The bytes held of the topics of share group `group`. */
  heldBytesOf(group: string): number {
    return this.#heldBytesByGroup.get(group) ?? 0;
  }

  /** The share groups of the topics set one (setGroup()). */
  get groupCount(): number {
    return this.#topicsByGroup.size;
  }

  /** The bytes held by each share group of the topics set one, those holding none included. */
  heldBytesByGroup(): Map<string, number> {
    return new Map([...this.#topicsByGroup.keys()].map((group) => [group, this.heldBytesOf(group)]));
  }

  /** Puts `topic` in share group `group` (null: in none). Its batches fetched before keep their group. */
  setGroup(topic: string, group: string | null): void {
    const before = this.#groupOf.get(topic);
    if (before === group) return;
    if (before !== undefined) {
      const topics = this.#topicsByGroup.get(before)! - 1;
      if (topics === 0) this.#topicsByGroup.delete(before);
      else this.#topicsByGroup.set(before, topics);
      this.#groupOf.delete(topic);
    }
    if (group === null) return;
    this.#groupOf.set(topic, group);
    this.#topicsByGroup.set(group, (this.#topicsByGroup.get(group) ?? 0) + 1);
  }

  groupOf(topic: string): string {
    return this.#groupOf.get(topic) ?? NO_SHARE_GROUP;
  }

  /** The topics with partitions assigned. */
  topics(): string[] {
    return [...this.#partitions.keys()];
  }

  /**
   * The partitions of `topic` now assigned (none: the topic is let go); the topic's other partitions are
   * dropped with what was fetched ahead for them. Nothing is fetched for one until start() gives its position.
   * Other topics are not touched.
   */
  assign(topic: string, partitions: readonly number[]): void {
    this.#version += 1;
    const before = this.#partitions.get(topic);
    if (before !== undefined) for (const state of before.values()) this.#throwAway(state);
    if (partitions.length === 0) this.#partitions.delete(topic);
    else
      this.#partitions.set(
        topic,
        new Map(partitions.map((partition) => [partition, newState(topic, partition)])),
      );
  }

  start(topic: string, partition: number, position: bigint): void {
    const state = this.#partitions.get(topic)?.get(partition);
    if (state === undefined) return;
    this.#version += 1;
    state.position = position;
    state.resumeOffset = position;
  }

  has(topic: string, partition: number): boolean {
    return this.#partitions.get(topic)?.has(partition) === true;
  }

  /** The partition's state while it stays assigned; a new one after it is assigned again. */
  state(topic: string, partition: number): PartitionState | undefined {
    return this.#partitions.get(topic)?.get(partition);
  }

  /** Every assigned partition, in topic and partition order. */
  *states(): Generator<PartitionState> {
    for (const partitions of this.#partitions.values()) yield* partitions.values();
  }

  /**
   * The ends known of `topic`'s partitions, with their age at `nowMs` (performance.now()): the partitions whose
   * last stable offset is known (see PartitionState.askedIn).
   */
  fetchedEnds(topic: string, nowMs: number): FetchedEndOffset[] {
    const ends: FetchedEndOffset[] = [];
    for (const state of this.#partitions.get(topic)?.values() ?? []) {
      const { lastStableOffset } = state;
      const answeredAtMs = lastAnsweredAtMs(state);
      if (lastStableOffset === null || answeredAtMs === null) continue;
      ends.push({ partition: state.partition, lastStableOffset, ageMs: nowMs - answeredAtMs });
    }
    return ends;
  }

  /** Throws away every batch fetched ahead: fetching starts again past the last batch taken. */
  rewind(): void {
    for (const state of this.states()) this.#throwAway(state);
  }

  #throwAway(state: PartitionState): void {
    this.#version += 1;
    state.epoch += 1;
    state.askedIn = null;
    for (const ready of state.ready) this.release(ready.bytes, ready.group);
    state.ready.length = 0;
    this.#ready.delete(state);
    state.position = state.resumeOffset;
  }

  /**
   * The oldest ready batch of each partition not `busy` (asked with that batch's share group), partitions in the
   * order their batches became ready.
   */
  *readyBatches(busy: (topic: string, partition: number, group: string) => boolean): Generator<ReadyBatch> {
    for (const state of this.#ready) {
      if (busy(state.topic, state.partition, state.ready[0]!.group)) continue;
      const ready = state.ready.shift()!;
      // A partition with more batches waiting keeps its place: they are older than those of partitions after it.
      if (state.ready.length === 0) this.#ready.delete(state);
      this.#version += 1;
      state.resumeOffset = ready.batch.nextOffset;
      yield ready;
    }
  }

  /** The handler is done with a batch taken from here: its bytes make room for more fetching. */
  release(bytes: number, group: string): void {
    this.#heldBytes -= bytes;
    const left = this.heldBytesOf(group) - bytes;
    if (left <= 0) this.#heldBytesByGroup.delete(group);
    else this.#heldBytesByGroup.set(group, left);
  }

  /** Takes a partition's answer in, moving its position past what the answer covered. */
  accept(state: PartitionState, outcome: Extract<FetchedPartition, { kind: 'read' }>): Accepted {
    const { read, fetchOffset } = outcome;
    const gotNothing = read.nextOffset === fetchOffset;
    const starved = gotNothing && fetchOffset < outcome.lastStableOffset;
    if (!gotNothing || starved !== state.starved || outcome.lastStableOffset !== state.lastStableOffset)
      this.#version += 1;
    state.lastStableOffset = outcome.lastStableOffset;
    state.starved = starved;
    if (gotNothing) return 'nothing';
    state.position = read.nextOffset;
    if (read.records.length === 0) {
      const last = state.ready.at(-1);
      if (last === undefined) {
        state.resumeOffset = read.nextOffset;
        return 'skipped';
      }
      // Markers past a batch still waiting: its offset to commit moves past them once its records are written.
      state.ready[state.ready.length - 1] = {
        ...last,
        batch: { ...last.batch, nextOffset: read.nextOffset },
      };
      return 'nothing';
    }
    const group = this.groupOf(state.topic);
    state.ready.push({
      batch: {
        topic: state.topic,
        partition: state.partition,
        records: read.records,
        nextOffset: read.nextOffset,
        highWatermark: outcome.highWatermark,
      },
      bytes: read.bytes,
      group,
      readyAtMs: performance.now(),
    });
    this.#ready.add(state);
    this.#heldBytes += read.bytes;
    this.#heldBytesByGroup.set(group, this.heldBytesOf(group) + read.bytes);
    return 'ready';
  }
}

/**
 * When the partition's lastStableOffset was last known to be the broker's (performance.now()); null when not
 * known (see PartitionState.askedIn).
 */
export function lastAnsweredAtMs(state: PartitionState): number | null {
  return state.askedIn === null ? null : (state.askedIn.lastAtMs ?? state.answeredBeforeAtMs);
}

/** The partition is asked in a request built anew: what its last answer told holds until that one's first. */
export function askIn(state: PartitionState, answers: RequestAnswers): void {
  state.answeredBeforeAtMs = lastAnsweredAtMs(state);
  state.askedIn = answers;
}

function newState(topic: string, partition: number): PartitionState {
  return {
    topic,
    partition,
    position: null,
    resumeOffset: null,
    epoch: 0,
    fetching: false,
    ready: [],
    starved: false,
    lastStableOffset: null,
    askedIn: null,
    answeredBeforeAtMs: null,
  };
}
