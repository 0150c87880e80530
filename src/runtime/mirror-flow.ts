// A mirror flow: one origin topic copied into one destination topic, record for record, partition for
// partition. It prepares the destination topic, then reads the origin through its lane (the flows of one origin
// into one destination under one naming share a consumer group and a fetcher: src/plan/lanes.ts) and writes
// each batch to the same partition on the destination; the lane's group commits a batch's offsets only after
// the destination acknowledged it (at-least-once: a crash repeats, never loses).
// With `delivery: exactly-once`, each batch and the partition's progress are committed together in a
// destination transaction, the progress lives on the destination, and each partition resumes from there.
//
// Failures are this flow's own: it moves to `error` with a reason and tries again after a backoff. Errors
// that retrying cannot heal (authorization, a truncated origin, a destination topic that vanished) are
// re-checked only every few minutes, so that an operator's fix is picked up without the flow spinning; a
// cluster that does not answer is tried again at least every UNAVAILABLE_RETRY_MAX_MS (backoff.ts).
//
// A running flow whose origin or destination stops answering is `stalled` (docs/outages.md): the source and
// the sink report a request that failed on the network or got no answer in time, as it happens, and the flow
// is `running` again once its cluster answers (a fetch answered; every partition's write acknowledged).
//
// This file orchestrates an attempt (prepare the destination topic, run the source, stop); its parts live
// beside it (what it is given: mirror-flow-dependencies.ts): FlowTopics prepares the destination topic and pins
// the topic ids, BatchCopier writes each batch, FlowReachability tells `stalled`, LagRefresher keeps the lag
// true, flowStatus() builds /status on request.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LaneRecordSource, SourceEvent, TransactionalSink } from '../kafka/port.js';
import { describeFailure, type FlowError, FlowFailure } from '../plan/flow-failure.js';
import { type FlowSpec, progressGroupId, transactionalIdPrefix } from '../plan/flow-spec.js';
import { lineageGroupId } from '../plan/topic-lineage.js';
import { flowRetryDelayMs } from './backoff.js';
import { BatchCopier } from './batch-copier.js';
import { FlowIdentity } from './flow-identity.js';
import { FlowProgress } from './flow-progress.js';
import { FlowReachability } from './flow-reachability.js';
import { type FlowState, FlowStateMachine } from './flow-state.js';
import {
  type FlowStatus,
  flowStatus,
  type MirroredTotal,
  type TopicConfigSyncStatus,
} from './flow-status.js';
import { FlowTopics, storedProgressKey } from './flow-topics.js';
import { LagRefresher } from './lag-refresher.js';
import type { MirrorFlowDependencies } from './mirror-flow-dependencies.js';
import type { ManagedFlow } from './supervisor.js';

// daemon.ts and the tests take these from here.
export type { FlowStatus, MirroredTotal, MirrorFlowDependencies };

/** The copy rate is measured over this window; a flow that copied nothing in it shows 0 records/s. */
const RATE_WINDOW_MS = 10_000;
/** End offsets older than this many lag refreshes make the lag unknown instead of a stale figure. */
const LAG_STALE_AFTER_REFRESHES = 2.5;

export class MirrorFlow implements ManagedFlow {
  readonly #deps: MirrorFlowDependencies;
  readonly #identity: FlowIdentity;
  readonly #machine: FlowStateMachine;
  readonly #stopController = new AbortController();
  #source: LaneRecordSource | null = null;
  #running: Promise<void>;
  #failedAttempts = 0;
  /** Shared with the earlier and later runs of this flow (see MirrorFlowDependencies.mirroredTotals). */
  readonly #mirrored: MirroredTotal;
  /** Partitions this process was assigned, with what is known of their progress, and the copy rate. */
  readonly #progress: FlowProgress;
  readonly #topics: FlowTopics;
  readonly #reachability: FlowReachability;
  readonly #lag: LagRefresher;
  readonly #batches: BatchCopier;
  #topicConfigSync: TopicConfigSyncStatus | null = null;

  constructor(spec: FlowSpec, deps: MirrorFlowDependencies) {
    this.#deps = deps;
    const identity = new FlowIdentity(spec, deps.logger, deps.metrics);
    this.#identity = identity;
    this.#progress = new FlowProgress(deps.nowMs, {
      rateWindowMs: RATE_WINDOW_MS,
      staleAfterMs: deps.lagRefreshMs * LAG_STALE_AFTER_REFRESHES,
    });
    const mirrored = deps.mirroredTotals.get(spec.key) ?? { records: 0, bytes: 0, batchBytes: 0 };
    deps.mirroredTotals.set(spec.key, mirrored);
    this.#mirrored = mirrored;
    this.#machine = new FlowStateMachine(deps.nowMs, (from, to, error) =>
      this.#logTransition(from, to, error),
    );
    // The lineage lives in the lane's group; a flow upgraded from a group of its own still finds it there.
    this.#topics = new FlowTopics({
      ...deps,
      identity,
      lineageGroups: {
        groupId: lineageGroupId(spec.restartSettings.laneGroupId),
        previousGroupId: lineageGroupId(spec.restartSettings.consumerGroupId),
      },
    });
    this.#reachability = new FlowReachability(this.#machine, identity);
    this.#lag = new LagRefresher({
      ...deps,
      identity,
      progress: this.#progress,
      fetchedEndOffsets: () => this.#source?.fetchedEndOffsets() ?? [],
      refreshLineage: () => this.#topics.refreshLineage(),
    });
    this.#batches = new BatchCopier({
      ...deps,
      stopping: this.#stopController.signal,
      identity,
      topics: this.#topics,
      mirrored,
      progress: this.#progress,
      reachability: this.#reachability,
      onCopied: () => {
        if (this.#failedAttempts > 0) this.#failedAttempts = 0;
        this.#lag.publish();
      },
    });
    this.#running = this.#runWithRetries();
  }

  get spec(): FlowSpec {
    return this.#identity.spec;
  }

  status(): FlowStatus {
    return flowStatus({
      state: this.#machine.snapshot(),
      spec: this.#identity.spec,
      mirrored: this.#mirrored,
      progress: this.#progress,
      failedAttempts: this.#failedAttempts,
      topicConfigSync: this.#topicConfigSync,
    });
  }

  /** The lifecycle state alone, for whoever counts flows by state: status() builds the whole /status entry. */
  get state(): FlowState {
    return this.#machine.state;
  }

  /** True once the destination topic is prepared and the consumer runs: its configs may then be synced. */
  get copying(): boolean {
    const state = this.#machine.state;
    return state === 'running' || state === 'paused';
  }

  /**
   * Takes the outcome of a discovery round's change to the destination topic's configs: in the log and the
   * metric with this flow's labels, and in /status. A failure is this flow's alone and stops nothing.
   */
  recordTopicConfigSync(outcome: { readonly applied: string } | { readonly error: string }): void {
    const atMs = this.#deps.nowMs();
    const { labels, logger } = this.#identity;
    if ('applied' in outcome) {
      this.#topicConfigSync = { atMs, applied: outcome.applied, error: null };
      this.#deps.metrics.topicConfigSyncs.inc({ ...labels, result: 'applied' });
      logger.info(
        { drift: outcome.applied },
        `destination topic configs follow the origin: ${outcome.applied}`,
      );
    } else {
      this.#topicConfigSync = { atMs, applied: null, error: outcome.error };
      this.#deps.metrics.topicConfigSyncs.inc({ ...labels, result: 'failed' });
      logger.error(
        { reason: 'topic-config-sync-failed' },
        `could not make the destination topic configs follow the origin: ${outcome.error}`,
      );
    }
  }

  async update(next: FlowSpec): Promise<void> {
    const previous = this.#identity.spec;
    // The series of the old labels go: nothing would count into them any more.
    if (next.replication !== previous.replication) this.#deps.metrics.removeFlow(this.#identity.labels);
    this.#identity.update(next);
    if (next.paused !== previous.paused) this.#applyPaused();
    const source = this.#source;
    if (next.partitions > previous.partitions && source !== null) {
      // The destination gets the partitions first, so that no record of a new partition finds it missing; the
      // lane then reads the new partitions in this process's slots, from the lane's committed offsets. No other
      // flow and no other process of the lane is disturbed (each calls this on its own discovery).
      await this.#topics.ensureDestinationPartitions(next.partitions);
      this.#identity.logger.info(
        { from: previous.partitions, to: next.partitions },
        'origin topic grew: reading its new partitions',
      );
      await source.partitionsAdded();
    }
  }

  async stop(): Promise<void> {
    if (this.#machine.state === 'stopped') return;
    this.#machine.moveTo('stopping');
    this.#stopController.abort();
    this.#lag.stop();
    await this.#source?.stop({ inFlightGraceMs: this.#deps.stopGraceMs });
    await this.#running;
    this.#deps.metrics.offsetLag.remove(this.#identity.labels);
    this.#identity.release();
    this.#machine.moveTo('stopped');
  }

  async #runWithRetries(): Promise<void> {
    const signal = this.#stopController.signal;
    while (!signal.aborted) {
      try {
        await this.#runOnce();
        if (signal.aborted) return;
        // A source only ends on its own by failing, so an early clean end is a fault to retry.
        throw new Error('the consumer ended without being stopped');
      } catch (error) {
        if (signal.aborted) return;
        // The lag timer keeps running: the origin still grows while nothing is copied, and the lag must show it.
        // Whatever failed, the flow detaches from its lane before it attaches again.
        await this.#source?.stop({ inFlightGraceMs: 0 }).catch(() => undefined);
        this.#source = null;
        if (signal.aborted) return; // stop() came while the consumer left: the flow is stopping, not failing
        const flowError = describeFailure(error, this.#identity.spec);
        this.#failedAttempts++;
        this.#machine.fail(flowError);
        const { backoff, nonRetriableRecheckMs } = this.#deps;
        const delayMs = flowRetryDelayMs(flowError, this.#failedAttempts, backoff, nonRetriableRecheckMs);
        this.#identity.logger.info({ delayMs }, 'flow will try again');
        try {
          await sleep(delayMs, undefined, { signal });
        } catch {
          return; // stopped while waiting
        }
        this.#deps.metrics.flowRestarts.inc({ reason: 'retry' });
      }
    }
  }

  async #runOnce(): Promise<void> {
    const exactlyOnce = this.#identity.spec.restartSettings.delivery === 'exactly-once';
    const { destination } = this.#deps;
    if (exactlyOnce && destination.createTransactionalSink === undefined) {
      // Copying at-least-once under an exactly-once setting would break the promise silently.
      throw new FlowFailure({
        reason: 'exactly-once-unavailable',
        retriable: false,
        message:
          `the Kafka client for ${this.#identity.spec.destination} has no transactions, so delivery: exactly-once cannot ` +
          'be kept; this flow copies nothing until the replication says delivery: at-least-once',
      });
    }
    const { signal } = this.#stopController;
    // A flow stopped while waiting for its turn leaves the queue at once: a shutdown does not wait for it.
    await this.#deps.preparing.run(() => this.#topics.prepare(), signal);
    if (signal.aborted) return;
    const { consumerGroupId, laneGroupId } = this.#identity.spec.restartSettings;
    const transactions = exactlyOnce
      ? (destination.createTransactionalSink?.({
          topic: this.#identity.spec.destinationTopic,
          topicId: this.#topics.ids.destinationTopicId,
          transactionalIdPrefix: transactionalIdPrefix(consumerGroupId),
          progressGroupId: progressGroupId(laneGroupId),
          // Upgrading from a group per flow: a partition without progress in the lane's resumes from the flow's.
          previousProgressGroupId: progressGroupId(consumerGroupId),
        }) ?? null)
      : null;
    const source = this.#deps.origin.createLaneSource({
      topic: this.#identity.spec.originTopic,
      laneGroupId,
      // A replication waiting for its maxBytesPerSecond then holds up no other replication's flows in the lane.
      shareGroup: this.#identity.spec.replication,
      previousGroupId: consumerGroupId,
      startPosition: this.#identity.spec.start,
      sessionTimeoutMs: this.#deps.sessionTimeoutMs,
      topicId: this.#topics.ids.originTopicId,
      // The origin group still commits (lag, status), but the progress committed with the records wins.
      ...(transactions === null ? {} : { resumePositionOf: (partition) => transactions.claim(partition) }),
    });
    this.#source = source;
    this.#progress.assigned([]);
    this.#reachability.clear();
    try {
      const running = source.run(
        (batch, signal) => this.#batches.copy(batch, signal, transactions),
        (event) => this.#onSourceEvent(event, transactions),
      );
      this.#applyPaused();
      this.#lag.start();
      await running;
    } finally {
      // A transaction left open by a batch that did not finish is aborted by the next claim of its partition.
      await transactions?.close().catch(() => undefined);
    }
  }

  #onSourceEvent(event: SourceEvent, transactions: TransactionalSink | null): void {
    switch (event.type) {
      case 'assigned': {
        const lost = this.#progress
          .heldPartitions()
          .filter((partition) => !event.partitions.includes(partition));
        if (transactions !== null && lost.length > 0) void transactions.release(lost);
        this.#progress.assigned(event.partitions);
        this.#identity.logger.info({ partitions: event.partitions }, 'partitions assigned');
        const state = this.#machine.state;
        if (state === 'starting' || state === 'updating' || state === 'error') {
          this.#machine.moveTo(this.#identity.spec.paused ? 'paused' : 'running');
          this.#reachability.check();
        }
        void this.#lag.refresh();
        return;
      }
      case 'rebalancing':
        this.#identity.logger.info('lane group rebalancing');
        return;
      case 'committed':
        this.#deps.flowsWithStoredProgress.add(storedProgressKey(this.#identity.spec));
        for (const { partition, offset } of event.offsets) this.#progress.committed(partition, offset);
        return;
      case 'unreachable':
        this.#reachability.originFailed(event.detail);
        return;
      case 'reachable':
        this.#reachability.originAnswered();
        return;
    }
  }

  #applyPaused(): void {
    const source = this.#source;
    const state = this.#machine.state;
    if (source === null || state === 'stopping' || state === 'stopped') return;
    if (this.#identity.spec.paused) {
      source.pause();
      // Starting, updating or retrying (error): the flow becomes `paused` once its partitions are assigned.
      if (state === 'running' || state === 'stalled') this.#machine.moveTo('paused');
    } else if (state === 'paused') {
      source.resume();
      this.#machine.moveTo('running');
      this.#reachability.check();
    }
  }

  #logTransition(from: FlowState, to: FlowState, error: FlowError | null): void {
    const { logger } = this.#identity;
    if (to === 'stalled' && error !== null) {
      if (from === 'stalled') {
        logger.debug({ reason: error.reason }, `flow still stalled: ${error.message}`);
        return;
      }
      this.#deps.metrics.flowStalls.inc({ reason: error.reason });
      logger.warn({ reason: error.reason }, `flow stalled: ${error.message}`);
    } else if (to === 'error' && error !== null) {
      if (from !== 'error') this.#deps.metrics.flowErrors.inc({ reason: error.reason });
      logger.error(
        { reason: error.reason, retriable: error.retriable, failedAttempts: this.#failedAttempts },
        `flow failed: ${error.message}`,
      );
    } else {
      logger.info({ from, to }, `flow ${to}`);
    }
  }
}
