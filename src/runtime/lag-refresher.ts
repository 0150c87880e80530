// Keeps a flow's offset lag true while nothing is copied (a destination down, a paused flow): the origin still
// grows, so the lag is refreshed on a timer from the origin's end offsets, not only from the batches that pass
// by. Off the hot path: a batch only publishes the figure FlowProgress already holds.
//
// Where the ends come from: while the flow's lane fetches every partition it holds, its fetch answers tell each
// partition's end (LaneRecordSource.fetchedEndOffsets), and the origin is not asked; 10,000 idle flows asking
// for their end offsets every few seconds were most of an idle process's work. Otherwise (paused, a slow or
// down destination holding the partitions back, a position not known yet) the origin is asked.
import type { CommittedOffset, FetchedEndOffset, KafkaAdmin } from '../kafka/port.js';
import type { Metrics } from '../observability/metrics.js';
import type { FlowIdentity } from './flow-identity.js';
import type { FlowProgress } from './flow-progress.js';

export interface LagRefresherDependencies {
  readonly identity: FlowIdentity;
  readonly originAdmin: KafkaAdmin;
  readonly metrics: Pick<Metrics, 'offsetLag'>;
  readonly progress: FlowProgress;
  /** How often the lag is refreshed. */
  readonly lagRefreshMs: number;
  readonly nowMs: () => number;
  /** What the flow's lane knows of its partitions' ends from its fetches (none without a source). */
  readonly fetchedEndOffsets: () => readonly FetchedEndOffset[];
  /** Rides on the lag timer: the flow's lineage is stored again once a day (FlowTopics.refreshLineage). */
  readonly refreshLineage: () => Promise<void>;
}

export class LagRefresher {
  readonly #deps: LagRefresherDependencies;
  #timer: NodeJS.Timeout | null = null;
  /** The figure last set, and for which labels (a renamed replication's flow has new ones). */
  #published: { readonly labels: object; readonly lag: number } | null = null;

  constructor(deps: LagRefresherDependencies) {
    this.#deps = deps;
  }

  /**
   * Refreshes on the wall clock's multiples of lagRefreshMs, as every other flow does: thousands of flows ask at
   * the same moment, and their requests go out as a few coalesced ones (admin-batches.ts), not as thousands
   * spread over the interval.
   */
  start(): void {
    this.stop();
    const { lagRefreshMs, nowMs } = this.#deps;
    this.#timer = setTimeout(
      () => {
        this.#timer = setInterval(() => void this.refresh(), lagRefreshMs);
        this.#timer.unref();
        void this.refresh();
      },
      lagRefreshMs - (nowMs() % lagRefreshMs),
    );
    this.#timer.unref();
  }

  stop(): void {
    // clearTimeout clears an interval's timer as well
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#published = null; // the flow stopping removes the gauge: set again if it runs on
  }

  /**
   * Takes the end offsets from the lane's fetches, or else reads the origin's (and, for partitions without a
   * known position, the stored progress).
   */
  async refresh(): Promise<void> {
    const { identity, originAdmin, progress } = this.#deps;
    const held = progress.heldPartitions();
    if (held.length === 0) return;
    void this.#deps.refreshLineage();
    if (this.#learnedFromFetching(held)) {
      this.publish();
      return;
    }
    try {
      const askedAtMs = this.#deps.nowMs();
      const offsets = await originAdmin.partitionOffsets(identity.spec.originTopic);
      progress.endOffsetsLearned(offsets, askedAtMs);
      const unknown = progress.partitionsWithoutPosition();
      const { laneGroupId, consumerGroupId } = identity.spec.restartSettings;
      const committedIn = async (groupId: string) =>
        unknown.length === 0 ? [] : await originAdmin.committedOffsets(groupId, [identity.spec.originTopic]);
      const offsetIn = (committed: readonly CommittedOffset[], partition: number) =>
        committed.find((c) => c.partition === partition)?.offset ?? null;
      const inLane = await committedIn(laneGroupId);
      // A partition the lane has no offset for resumes from the flow's group from before lanes, if it has one.
      const inOldGroup = unknown.every((partition) => offsetIn(inLane, partition) !== null)
        ? []
        : await committedIn(consumerGroupId);
      for (const partition of unknown) {
        const ends = offsets.find((o) => o.partition === partition);
        const stored = offsetIn(inLane, partition) ?? offsetIn(inOldGroup, partition);
        // Without stored progress, a new flow starts at the beginning or end of what the origin holds.
        const position =
          stored ?? (identity.spec.start === 'earliest' ? (ends?.earliest ?? null) : (ends?.latest ?? null));
        if (position !== null) progress.positionLearned(partition, position);
      }
      this.publish();
    } catch (error) {
      identity.logger.debug({ err: error }, 'could not refresh the offset lag');
    }
  }

  /**
   * Takes the ends of the held partitions from the lane's fetch answers, when it has them all, each no older than
   * a refresh interval (what the origin would have said at the last refresh), and every position is known. False
   * when not: the origin is asked.
   */
  #learnedFromFetching(held: readonly number[]): boolean {
    const { progress, lagRefreshMs, nowMs } = this.#deps;
    if (progress.partitionsWithoutPosition().length > 0) return false;
    const fetched = this.#deps.fetchedEndOffsets();
    const fresh: FetchedEndOffset[] = [];
    for (const partition of held) {
      const end = fetched.find((known) => known.partition === partition && known.ageMs <= lagRefreshMs);
      if (end === undefined) return false;
      fresh.push(end);
    }
    const atMs = nowMs();
    for (const { partition, lastStableOffset, ageMs } of fresh)
      progress.endOffsetsLearned([{ partition, latest: lastStableOffset }], atMs - ageMs);
    return true;
  }

  /**
   * Sets the lag metric from what FlowProgress knows now. Only a figure that changed is set: 10,000 idle flows
   * refreshing every few seconds would otherwise have the gauge look up their labels for the same value each time.
   */
  publish(): void {
    const lag = this.#deps.progress.lag();
    const { labels } = this.#deps.identity;
    if (lag === null || (lag === this.#published?.lag && labels === this.#published.labels)) return;
    this.#deps.metrics.offsetLag.set(labels, lag);
    this.#published = { labels, lag };
  }
}
