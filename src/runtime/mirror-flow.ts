// A mirror flow: one origin topic copied into one destination topic, record for record, partition for
// partition. It prepares the destination topic, then reads the origin as a member of the flow's consumer
// group and writes each batch to the same partition on the destination; the group commits a batch's offsets
// only after the destination acknowledged it (at-least-once: a crash repeats, never loses).
// With `delivery: exactly-once`, each batch and the partition's progress are committed together in a
// destination transaction, the progress lives on the destination, and each partition resumes from there.
//
// Failures are this flow's own: it moves to `error` with a reason and tries again after a backoff. Errors
// that retrying cannot heal (authorization, a truncated origin, a destination topic that vanished) are
// re-checked only every few minutes, so that an operator's fix is picked up without the flow spinning; a
// cluster that does not answer is tried again at least every UNAVAILABLE_RETRY_MAX_MS.
//
// A running flow whose origin or destination stops answering is `stalled` (docs/outages.md): the source and
// the sink report a request that failed on the network or got no answer in time, as it happens, and the flow
// is `running` again once its cluster answers (a fetch answered; every partition's write acknowledged).
import { setTimeout as sleep } from 'node:timers/promises';
import type { CompressionSetting } from '../config/types.js';
import { KafkaError, TopicNotFound } from '../kafka/errors.js';
import type {
  ConsumedBatch,
  KafkaAdmin,
  KafkaCluster,
  RecordSink,
  RecordSource,
  RecordToWrite,
  SourceEvent,
  TopicConfigEntry,
  TopicDescription,
  TopicId,
  TransactionalSink,
  WrittenRange,
} from '../kafka/port.js';
import type { Logger } from '../observability/logger.js';
import type { FlowLabels, Metrics } from '../observability/metrics.js';
import { decideDestinationTopic } from '../plan/destination-topic.js';
import { describeFailure, FlowFailure } from '../plan/flow-failure.js';
import { type FlowSpec, progressGroupId, transactionalIdPrefix } from '../plan/flow-spec.js';
import { describeConfigDrift, destinationTopicConfigs, topicConfigUpdate } from '../plan/topic-configs.js';
import { lineageOf, sameLineage, type TopicLineage } from '../plan/topic-lineage.js';
import { type BackoffPolicy, retryDelayMs } from './backoff.js';
import { type BandwidthCaps, recordBytes, writeWithinCap } from './bandwidth-caps.js';
import { FlowProgress, type PartitionProgress } from './flow-progress.js';
import { FlowStateMachine, type FlowStateSnapshot } from './flow-state.js';
import { withLoopPrevention } from './loop-prevention.js';
import type { OffsetMapRecorder } from './offset-sync-store.js';
import type { ManagedFlow } from './supervisor.js';
import { readLineage, writeLineage } from './topic-lineage-store.js';
import { UnreachableClusters } from './unreachable-clusters.js';

export interface MirrorFlowDependencies {
  /** The origin cluster, to create this flow's own consumer. */
  readonly origin: KafkaCluster;
  /** The destination cluster, for an exactly-once flow's own transactional producers. */
  readonly destination: KafkaCluster;
  /** Admin clients are shared by every flow of a cluster. */
  readonly originAdmin: KafkaAdmin;
  readonly destinationAdmin: KafkaAdmin;
  /** The destination's producer, shared by every flow that writes to that cluster. */
  readonly sink: RecordSink;
  /** Told where each record landed on the destination, for consumer-group offset translation. */
  readonly offsetMaps: OffsetMapRecorder;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly backoff: BackoffPolicy;
  /** How often a flow in a non-retriable error looks again whether someone fixed the cause. */
  readonly nonRetriableRecheckMs: number;
  /** How often the offset lag is refreshed from the origin's end offsets. */
  readonly lagRefreshMs: number;
  /** How long stop() waits for batches already read to reach the destination before giving up on them. */
  readonly stopGraceMs: number;
  /**
   * How long the consumer group waits for a silent member (a crashed or killed georep process) before it
   * gives the member's partitions to another one: how long those partitions stand still.
   */
  readonly sessionTimeoutMs: number;
  /**
   * Consumer groups in which a flow of this process saw stored progress, shared by every flow of the daemon.
   * A re-created topic is told by its topic id (the lineage), so a group that had progress and has none any
   * more, with the same topics, was deleted. Kept in memory only: a georep started afterwards cannot know.
   */
  readonly groupsWithStoredProgress: Set<string>;
  /**
   * Records and bytes mirrored per flow key since the daemon started, shared by every flow: a flow restarted
   * by a reload counts on from where its previous run stopped, as georep_records_mirrored_total does.
   */
  readonly mirroredTotals: Map<string, MirroredTotal>;
  /** The replications' maxBytesPerSecond, shared by every flow of the daemon. */
  readonly bandwidthCaps: Pick<BandwidthCaps, 'of'>;
  readonly nowMs: () => number;
}

/** What a flow mirrored since the daemon started, over all its runs. */
export interface MirroredTotal {
  records: number;
  /** Bytes of keys, values and headers. */
  bytes: number;
  /** Bytes of the record batches as written to the destination (compressed). */
  batchBytes: number;
}

/** The last change of the destination topic's configs made to follow the origin's (discovery rounds). */
export interface TopicConfigSyncStatus {
  readonly atMs: number;
  /** What changed (`retention.ms=… (was …)`), or null when the change failed. */
  readonly applied: string | null;
  /** Why the change failed, or null. The flow keeps copying records either way. */
  readonly error: string | null;
}

/** What /status and `georep status` show of a flow. Offsets are strings: JSON has no 64-bit integers. */
export interface FlowStatus extends FlowStateSnapshot {
  readonly key: string;
  readonly replication: string;
  readonly origin: string;
  readonly originTopic: string;
  readonly destination: string;
  readonly destinationTopic: string;
  readonly recordsMirrored: number;
  readonly bytesMirrored: number;
  /** Bytes of record batches written to the destination, as sent (after compression). */
  readonly bytesWritten: number;
  /** Records mirrored per second over the last RATE_WINDOW_MS; 0 when no batch was copied in that time. */
  readonly recordsPerSecond: number;
  /** When the destination last acknowledged a batch of this flow, or null. */
  readonly lastBatchAtMs: number | null;
  /**
   * Records not yet mirrored, summed over the partitions this process holds; null while unknown: before it is
   * first measured, or when the origin's end offsets could not be refreshed for a while (see lagMeasuredAtMs).
   */
  readonly lag: number | null;
  /** When the oldest end offset behind `lag` was read from the origin; with `lag: null`, the last figure's age. */
  readonly lagMeasuredAtMs: number | null;
  /** How far behind the copy is in time (ProgressSummary.timeLagMs); null when unknown. */
  readonly timeLagMs: number | null;
  /** Failed attempts since the flow last ran cleanly. */
  readonly failedAttempts: number;
  readonly partitions: readonly PartitionProgress[];
  /** null until a discovery round changed (or failed to change) the destination topic's configs. */
  readonly topicConfigSync: TopicConfigSyncStatus | null;
  readonly spec: FlowSpec;
}

/** The copy rate is measured over this window; a flow that copied nothing in it shows 0 records/s. */
const RATE_WINDOW_MS = 10_000;
/**
 * How often a running flow stores its lineage again: Kafka expires the offsets of a group nobody joins
 * (offsets.retention.minutes, 7 days by default) after their last commit.
 */
const LINEAGE_REFRESH_MS = 24 * 60 * 60_000;
/** End offsets older than this many lag refreshes make the lag unknown instead of a stale figure. */
const LAG_STALE_AFTER_REFRESHES = 2.5;
/**
 * The longest wait between attempts of a flow whose cluster does not answer (`*-unavailable`): copying resumes
 * within about this long after the cluster returns. A refused connection costs the cluster next to nothing.
 */
const UNAVAILABLE_RETRY_MAX_MS = 1_000;
/**
 * How soon a write the sink gave up on is tried again while the destination does not answer: the sink's own
 * retries wait at most 0.5 s after a network failure too, so copying resumes within about that once it answers.
 */
const DESTINATION_RETRY_DELAY_MS = 500;

export class MirrorFlow implements ManagedFlow {
  #spec: FlowSpec;
  readonly #deps: MirrorFlowDependencies;
  readonly #machine: FlowStateMachine;
  #logger: Logger;
  #labels: FlowLabels;
  /**
   * This flow's latency series, looked up once: observe() with a label object hashes the labels on every
   * call, and it is called for every record.
   */
  #latency: { observe(seconds: number): void };
  readonly #stopController = new AbortController();
  #source: RecordSource | null = null;
  #running: Promise<void>;
  #failedAttempts = 0;
  /** Shared with the earlier and later runs of this flow (see MirrorFlowDependencies.mirroredTotals). */
  readonly #mirrored: MirroredTotal;
  /** Partitions this process was assigned, with what is known of their progress, and the copy rate. */
  #progress: FlowProgress;
  /** Partition count of the destination topic as last seen or made. */
  #destinationPartitions = 0;
  #lagTimer: NodeJS.Timeout | null = null;
  /** Set by update() when the consumer must rejoin its group (the origin topic grew). */
  #rejoinRequested = false;
  #topicConfigSync: TopicConfigSyncStatus | null = null;
  /** What the source and the sink said of clusters that do not answer: makes the flow `stalled`. */
  readonly #unreachable = new UnreachableClusters();
  /**
   * The topics this flow copies between, by id, as checked before its source started: the source and the sink
   * refuse a topic of the same name with another id. null where a client cannot tell ids.
   */
  #lineage: { originTopicId: TopicId; destinationTopicId: TopicId } = {
    originTopicId: null,
    destinationTopicId: null,
  };
  /** When the lineage was last stored: rewritten daily, as Kafka expires offsets of a group nobody joins. */
  #lineageStoredAtMs: number | null = null;

  constructor(spec: FlowSpec, deps: MirrorFlowDependencies) {
    this.#spec = spec;
    this.#deps = deps;
    this.#labels = labelsOf(spec);
    this.#latency = deps.metrics.replicationLatency.labels(this.#labels);
    this.#logger = childLogger(deps.logger, spec);
    this.#progress = this.#newProgress();
    const mirrored = deps.mirroredTotals.get(spec.key) ?? { records: 0, bytes: 0, batchBytes: 0 };
    deps.mirroredTotals.set(spec.key, mirrored);
    this.#mirrored = mirrored;
    this.#machine = new FlowStateMachine(deps.nowMs, (from, to, error) => {
      if (to === 'stalled' && error !== null) {
        if (from === 'stalled') {
          this.#logger.debug({ reason: error.reason }, `flow still stalled: ${error.message}`);
          return;
        }
        deps.metrics.flowStalls.inc({ reason: error.reason });
        this.#logger.warn({ reason: error.reason }, `flow stalled: ${error.message}`);
      } else if (to === 'error' && error !== null) {
        if (from !== 'error') deps.metrics.flowErrors.inc({ reason: error.reason });
        this.#logger.error(
          { reason: error.reason, retriable: error.retriable, failedAttempts: this.#failedAttempts },
          `flow failed: ${error.message}`,
        );
      } else {
        this.#logger.info({ from, to }, `flow ${to}`);
      }
    });
    this.#running = this.#runWithRetries();
  }

  get spec(): FlowSpec {
    return this.#spec;
  }

  status(): FlowStatus {
    const summary = this.#progress.summary();
    return {
      ...this.#machine.snapshot(),
      key: this.#spec.key,
      replication: this.#spec.replication,
      origin: this.#spec.origin,
      originTopic: this.#spec.originTopic,
      destination: this.#spec.destination,
      destinationTopic: this.#spec.destinationTopic,
      recordsMirrored: this.#mirrored.records,
      bytesMirrored: this.#mirrored.bytes,
      bytesWritten: this.#mirrored.batchBytes,
      recordsPerSecond: summary.recordsPerSecond,
      lastBatchAtMs: summary.lastBatchAtMs,
      lag: summary.lag,
      lagMeasuredAtMs: summary.lagMeasuredAtMs,
      timeLagMs: summary.timeLagMs,
      failedAttempts: this.#failedAttempts,
      partitions: this.#progress.partitions(),
      topicConfigSync: this.#topicConfigSync,
      spec: this.#spec,
    };
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
    if ('applied' in outcome) {
      this.#topicConfigSync = { atMs, applied: outcome.applied, error: null };
      this.#deps.metrics.topicConfigSyncs.inc({ ...this.#labels, result: 'applied' });
      this.#logger.info(
        { drift: outcome.applied },
        `destination topic configs follow the origin: ${outcome.applied}`,
      );
    } else {
      this.#topicConfigSync = { atMs, applied: null, error: outcome.error };
      this.#deps.metrics.topicConfigSyncs.inc({ ...this.#labels, result: 'failed' });
      this.#logger.error(
        { reason: 'topic-config-sync-failed' },
        `could not make the destination topic configs follow the origin: ${outcome.error}`,
      );
    }
  }

  async update(next: FlowSpec): Promise<void> {
    const previous = this.#spec;
    this.#spec = next;
    if (next.replication !== previous.replication) {
      this.#deps.metrics.offsetLag.remove(this.#labels);
      this.#labels = labelsOf(next);
      this.#latency = this.#deps.metrics.replicationLatency.labels(this.#labels);
      this.#logger = childLogger(this.#deps.logger, next);
    }
    if (next.paused !== previous.paused) this.#applyPaused();
    if (next.partitions > previous.partitions && this.#source !== null) {
      // The destination gets the partitions first, so that no record of a new partition finds it missing.
      // A group member gets new partitions only when the group next rebalances, which nothing else starts
      // now; so the flow's consumer rejoins its group: only this flow rebalances, and it resumes from its
      // committed offsets.
      await this.#ensureDestinationPartitions(next.partitions);
      this.#logger.info(
        { from: previous.partitions, to: next.partitions },
        'origin topic grew: consumer rejoins',
      );
      this.#machine.moveTo('updating');
      this.#rejoinRequested = true;
      await this.#source.stop({ inFlightGraceMs: this.#deps.stopGraceMs });
    }
  }

  async stop(): Promise<void> {
    if (this.#machine.state === 'stopped') return;
    this.#machine.moveTo('stopping');
    this.#stopController.abort();
    this.#stopLagTimer();
    await this.#source?.stop({ inFlightGraceMs: this.#deps.stopGraceMs });
    await this.#running;
    this.#deps.metrics.offsetLag.remove(this.#labels);
    this.#machine.moveTo('stopped');
  }

  async #runWithRetries(): Promise<void> {
    const signal = this.#stopController.signal;
    while (!signal.aborted) {
      try {
        await this.#runOnce();
        if (signal.aborted) return;
        if (this.#rejoinRequested) {
          this.#rejoinRequested = false;
          continue;
        }
        // A source only ends on its own by failing, so an early clean end is a fault to retry.
        throw new Error('the consumer ended without being stopped');
      } catch (error) {
        if (signal.aborted) return;
        // The lag timer keeps running: the origin still grows while nothing is copied, and the lag must show it.
        // Whatever failed, the consumer must leave the group before a new one joins, or its partitions stay
        // with a member that no longer reads them until the session times out.
        await this.#source?.stop({ inFlightGraceMs: 0 }).catch(() => undefined);
        this.#source = null;
        if (signal.aborted) return; // stop() came while the consumer left: the flow is stopping, not failing
        const flowError = describeFailure(error, this.#spec);
        this.#failedAttempts++;
        this.#machine.fail(flowError);
        const delayMs = !flowError.retriable
          ? this.#deps.nonRetriableRecheckMs
          : flowError.reason.endsWith('-unavailable')
            ? Math.min(UNAVAILABLE_RETRY_MAX_MS, retryDelayMs(this.#deps.backoff, this.#failedAttempts))
            : retryDelayMs(this.#deps.backoff, this.#failedAttempts);
        this.#logger.info({ delayMs }, 'flow will try again');
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
    const exactlyOnce = this.#spec.restartSettings.delivery === 'exactly-once';
    const { destination } = this.#deps;
    if (exactlyOnce && destination.createTransactionalSink === undefined) {
      // Copying at-least-once under an exactly-once setting would break the promise silently.
      throw new FlowFailure({
        reason: 'exactly-once-unavailable',
        retriable: false,
        message:
          `the Kafka client for ${this.#spec.destination} has no transactions, so delivery: exactly-once cannot ` +
          'be kept; this flow copies nothing until the replication says delivery: at-least-once',
      });
    }
    await this.#prepareDestinationTopic();
    if (this.#stopController.signal.aborted) return;
    const groupId = this.#spec.restartSettings.consumerGroupId;
    const transactions = exactlyOnce
      ? (destination.createTransactionalSink?.({
          topic: this.#spec.destinationTopic,
          topicId: this.#lineage.destinationTopicId,
          transactionalIdPrefix: transactionalIdPrefix(groupId),
          progressGroupId: progressGroupId(groupId),
        }) ?? null)
      : null;
    const source = this.#deps.origin.createSource({
      topic: this.#spec.originTopic,
      groupId,
      startPosition: this.#spec.start,
      sessionTimeoutMs: this.#deps.sessionTimeoutMs,
      topicId: this.#lineage.originTopicId,
      // The origin group still commits (lag, status), but the progress committed with the records wins.
      ...(transactions === null ? {} : { resumePositionOf: (partition) => transactions.claim(partition) }),
    });
    this.#source = source;
    this.#progress.assigned([]);
    this.#unreachable.clear();
    try {
      const running = source.run(
        (batch, signal) => this.#mirrorBatch(batch, signal, transactions),
        (event) => this.#onSourceEvent(event, transactions),
      );
      this.#applyPaused();
      this.#startLagTimer();
      await running;
    } finally {
      // A transaction left open by a batch that did not finish is aborted by the next claim of its partition.
      await transactions?.close().catch(() => undefined);
    }
  }

  /**
   * Makes sure the destination topic exists with the origin's partition count and configs before anything
   * is written. A destination topic georep did not make (no progress stored for this flow) is used only if
   * it matches; one that disappeared after georep wrote to it is reported, never silently re-created; a topic
   * re-created on either side since this flow last started (told by the lineage it stored then) is reported.
   * Once decided, the topic ids are pinned for the source and the sink, and stored as the flow's lineage.
   */
  async #prepareDestinationTopic(): Promise<void> {
    const { originTopic, destinationTopic } = this.#spec;
    const { originAdmin, destinationAdmin } = this.#deps;
    const origin = await originAdmin.describeTopic(originTopic);
    const originPartitions = origin.partitions.length;
    const excludes = this.#spec.restartSettings.topicConfigExclude.split(',').filter(Boolean);
    const groupId = this.#spec.restartSettings.consumerGroupId;
    const hasProgress = (await originAdmin.committedOffsets(groupId, [originTopic])).some(
      (committed) => committed.offset !== null,
    );
    const progressSeenBefore = this.#deps.groupsWithStoredProgress.has(groupId);
    if (hasProgress) this.#deps.groupsWithStoredProgress.add(groupId);
    const onOrigin = await readLineage(originAdmin, groupId, originTopic);

    for (;;) {
      const destination = await describeIfExists(destinationAdmin, destinationTopic);
      const onDestination =
        destination === null ? null : await readLineage(destinationAdmin, groupId, destinationTopic);
      const configUpdate =
        destination === null ? null : topicConfigUpdate(origin.configs, destination.configs, excludes);
      const decision = decideDestinationTopic({
        ...this.#spec,
        groupId,
        originPartitions,
        originTopicId: origin.topicId,
        existing:
          destination === null
            ? null
            : {
                partitions: destination.partitions.length,
                configDrift: configUpdate === null ? null : describeConfigDrift(configUpdate.drift),
                topicId: destination.topicId,
              },
        lineage: { onOrigin, onDestination },
        hasProgress,
        progressSeenBefore,
      });
      switch (decision.kind) {
        case 'refuse':
          // The progress belongs to a copy that is gone: once an operator deletes it, the flow may start over.
          if (decision.refusal.reason === 'destination-topic-recreated')
            this.#deps.groupsWithStoredProgress.delete(groupId);
          throw new FlowFailure({ ...decision.refusal, retriable: false });
        case 'create': {
          const created = await this.#createDestinationTopic(origin.configs, excludes, originPartitions);
          // Another georep process sharing this flow created it a moment ago: check it like any existing topic.
          if (!created) continue;
          const made = await destinationAdmin.describeTopic(destinationTopic);
          await this.#pinLineage(origin.topicId, made.topicId, { onOrigin, onDestination: null });
          return;
        }
        case 'adopt':
          this.#destinationPartitions = destination!.partitions.length;
          if (decision.addPartitions) await this.#ensureDestinationPartitions(originPartitions);
          if (configUpdate !== null) {
            await destinationAdmin.alterTopicConfigs(destinationTopic, configUpdate.changes);
            this.#logger.info(
              { drift: describeConfigDrift(configUpdate.drift) },
              'destination topic configs now follow the origin',
            );
          }
          await this.#pinLineage(origin.topicId, destination!.topicId, { onOrigin, onDestination });
          return;
      }
    }
  }

  /** Pins the topic ids for this run and stores them on both clusters where they are not stored yet. */
  async #pinLineage(
    originTopicId: TopicId,
    destinationTopicId: TopicId,
    stored: { onOrigin: TopicLineage | null; onDestination: TopicLineage | null },
  ): Promise<void> {
    this.#lineage = { originTopicId, destinationTopicId };
    const lineage = lineageOf(originTopicId, destinationTopicId);
    if (lineage === null) return;
    await this.#storeLineage(lineage, {
      origin: !sameLineage(stored.onOrigin, lineage),
      destination: !sameLineage(stored.onDestination, lineage),
    });
  }

  async #storeLineage(
    lineage: TopicLineage,
    where: { origin: boolean; destination: boolean },
  ): Promise<void> {
    const groupId = this.#spec.restartSettings.consumerGroupId;
    await Promise.all([
      where.origin ? writeLineage(this.#deps.originAdmin, groupId, this.#spec.originTopic, lineage) : null,
      where.destination
        ? writeLineage(this.#deps.destinationAdmin, groupId, this.#spec.destinationTopic, lineage)
        : null,
    ]);
    this.#lineageStoredAtMs = this.#deps.nowMs();
  }

  /** Rewrites the lineage once a day (see #lineageStoredAtMs); a failure is tried again at the next refresh. */
  async #refreshLineage(): Promise<void> {
    const lineage = lineageOf(this.#lineage.originTopicId, this.#lineage.destinationTopicId);
    const storedAtMs = this.#lineageStoredAtMs;
    if (lineage === null || storedAtMs === null || this.#deps.nowMs() - storedAtMs < LINEAGE_REFRESH_MS)
      return;
    try {
      await this.#storeLineage(lineage, { origin: true, destination: true });
    } catch (error) {
      this.#logger.warn({ err: error }, "could not store the flow's topic lineage again");
    }
  }

  /** Creates the destination topic like the origin's; false when another process created it first. */
  async #createDestinationTopic(
    originConfigs: readonly TopicConfigEntry[],
    excludes: readonly string[],
    partitionCount: number,
  ): Promise<boolean> {
    const wantedConfigs = destinationTopicConfigs(originConfigs, excludes);
    const replicationFactor = await this.#replicationFactor();
    const outcome = await this.#deps.destinationAdmin.createTopic({
      name: this.#spec.destinationTopic,
      partitionCount,
      replicationFactor,
      configs: new Map(Object.entries(wantedConfigs)),
    });
    this.#destinationPartitions = partitionCount;
    if (outcome === 'already-exists') return false;
    this.#logger.info(
      { partitions: partitionCount, replicationFactor, configs: wantedConfigs },
      'created destination topic',
    );
    return true;
  }

  async #replicationFactor(): Promise<number> {
    const configured = this.#spec.restartSettings.replicationFactor;
    if (configured !== 'auto') return configured;
    return Math.min(3, await this.#deps.destinationAdmin.brokerCount());
  }

  async #ensureDestinationPartitions(count: number): Promise<void> {
    if (this.#destinationPartitions >= count) return;
    const described = await this.#deps.destinationAdmin.describeTopic(this.#spec.destinationTopic);
    if (described.partitions.length < count) {
      await this.#deps.destinationAdmin.createPartitions(this.#spec.destinationTopic, count);
      this.#logger.info(
        { from: described.partitions.length, to: count },
        'added partitions to the destination topic',
      );
    }
    this.#destinationPartitions = Math.max(count, described.partitions.length);
  }

  async #mirrorBatch(
    batch: ConsumedBatch,
    signal: AbortSignal,
    transactions: TransactionalSink | null,
  ): Promise<void> {
    // A partition added on the origin can be assigned before the discovery timer saw it.
    if (batch.partition >= this.#destinationPartitions)
      await this.#ensureDestinationPartitions(batch.partition + 1);
    const records = withLoopPrevention(batch.records, this.#spec);
    const { compression } = this.#spec.restartSettings;
    // Looked up per batch: the cap can change, or the replication be renamed, while the flow runs.
    const cap = this.#deps.bandwidthCaps.of(this.#spec.replication);
    const written = await writeWithinCap(
      cap,
      records,
      batch.nextOffset,
      signal,
      async (slice, nextOffset) => {
        // Also when loop prevention dropped every record: the progress must move past them.
        if (transactions !== null) {
          const inTransaction = await transactions.write(batch.partition, slice, nextOffset, compression);
          this.#deps.metrics.transactionsCommitted.inc(this.#labels);
          return inTransaction;
        }
        if (slice.length === 0) return [];
        return this.#writeUntilAcknowledged(batch.partition, slice, compression, signal);
      },
    );
    // Recorded also when the flow is stopping: the records are on the destination whether or not committed.
    this.#deps.offsetMaps.recordWrite(
      this.#spec.destinationTopic,
      batch.partition,
      records.map((record) => record.offset),
      written,
      batch.nextOffset,
    );
    if (signal.aborted) return;
    const acknowledgedAtMs = this.#deps.nowMs();
    for (const record of records) {
      this.#latency.observe(Math.max(0, acknowledgedAtMs - record.timestampMs) / 1000);
    }
    const bytes = recordBytes(records);
    this.#mirrored.records += records.length;
    this.#mirrored.bytes += bytes;
    this.#deps.metrics.recordsMirrored.inc(this.#labels, records.length);
    this.#deps.metrics.bytesMirrored.inc(this.#labels, bytes);
    const batchBytes = written.reduce((sum, range) => sum + (range.batchBytes ?? 0), 0);
    this.#mirrored.batchBytes += batchBytes;
    this.#deps.metrics.destinationBytesWritten.inc(this.#labels, batchBytes);
    let newestTimestampMs: number | null = null;
    for (const record of batch.records) {
      if (newestTimestampMs === null || record.timestampMs > newestTimestampMs)
        newestTimestampMs = record.timestampMs;
    }
    this.#progress.batchCopied(
      batch.partition,
      batch.nextOffset,
      batch.highWatermark,
      records.length,
      newestTimestampMs,
    );
    if (this.#failedAttempts > 0) this.#failedAttempts = 0;
    this.#publishLag();
  }

  /**
   * Writes to the destination partition; while the destination does not answer, the flow is stalled and tries
   * again every DESTINATION_RETRY_DELAY_MS, keeping its place and its consumer (a restart would read the batch
   * again and rejoin the group for nothing). A retry may write records the failed attempt stored: at-least-once.
   */
  async #writeUntilAcknowledged(
    partition: number,
    records: readonly RecordToWrite[],
    compression: CompressionSetting,
    signal: AbortSignal,
  ): Promise<readonly WrittenRange[]> {
    const unreachable = (detail: string) =>
      this.#reachabilityChanged(() => this.#unreachable.destinationFailed(partition, detail));
    for (;;) {
      try {
        const written = await this.#deps.sink.write(this.#spec.destinationTopic, partition, records, {
          compression,
          topicId: this.#lineage.destinationTopicId,
          onUnreachable: unreachable,
        });
        if (this.#unreachable.destinationAnswered(partition)) this.#reachabilityChanged();
        return written;
      } catch (error) {
        const destinationDown =
          error instanceof KafkaError && error.retriable && error.cluster === this.#spec.destination;
        if (!destinationDown || signal.aborted) throw error;
        unreachable(error.message);
        await sleep(DESTINATION_RETRY_DELAY_MS, undefined, { signal });
      }
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
        this.#logger.info({ partitions: event.partitions }, 'partitions assigned');
        const state = this.#machine.state;
        if (state === 'starting' || state === 'updating' || state === 'error') {
          this.#machine.moveTo(this.#spec.paused ? 'paused' : 'running');
          this.#reachabilityChanged();
        }
        void this.#refreshLag();
        return;
      }
      case 'rebalancing':
        this.#logger.info('consumer group rebalancing');
        return;
      case 'committed':
        this.#deps.groupsWithStoredProgress.add(this.#spec.restartSettings.consumerGroupId);
        for (const { partition, offset } of event.offsets) this.#progress.committed(partition, offset);
        return;
      case 'unreachable':
        this.#reachabilityChanged(() => this.#unreachable.originFailed(event.detail));
        return;
      case 'reachable':
        this.#reachabilityChanged(() => this.#unreachable.originAnswered());
        return;
    }
  }

  #applyPaused(): void {
    const source = this.#source;
    const state = this.#machine.state;
    if (source === null || state === 'stopping' || state === 'stopped') return;
    if (this.#spec.paused) {
      source.pause();
      // Starting, updating or retrying (error): the flow becomes `paused` once its partitions are assigned.
      if (state === 'running' || state === 'stalled') this.#machine.moveTo('paused');
    } else if (state === 'paused') {
      source.resume();
      this.#machine.moveTo('running');
      this.#reachabilityChanged();
    }
  }

  /**
   * Applies `change` to what is known of clusters that do not answer, then moves a running flow to `stalled`
   * (saying which cluster and how; the origin first) or a stalled one back to `running` when both answer.
   */
  #reachabilityChanged(change: () => void = () => {}): void {
    change();
    const state = this.#machine.state;
    if (state !== 'running' && state !== 'stalled') return;
    const blocking = this.#unreachable.blocking();
    if (blocking === null) {
      if (state === 'stalled') this.#machine.moveTo('running');
      return;
    }
    const { side, detail } = blocking;
    this.#machine.stall({
      reason: `${side}-unavailable`,
      retriable: true,
      message: `${side} ${side === 'origin' ? this.#spec.origin : this.#spec.destination} does not answer: ${detail}`,
    });
  }

  #startLagTimer(): void {
    this.#stopLagTimer();
    this.#lagTimer = setInterval(() => void this.#refreshLag(), this.#deps.lagRefreshMs);
    this.#lagTimer.unref();
  }

  #stopLagTimer(): void {
    if (this.#lagTimer !== null) clearInterval(this.#lagTimer);
    this.#lagTimer = null;
  }

  /**
   * Lag must rise while nothing is copied (a destination down, a paused flow), so it is computed from the
   * origin's end offsets and not only from the batches that pass by.
   */
  async #refreshLag(): Promise<void> {
    const held = this.#progress.heldPartitions();
    if (held.length === 0) return;
    void this.#refreshLineage();
    try {
      const askedAtMs = this.#deps.nowMs();
      const offsets = await this.#deps.originAdmin.partitionOffsets(this.#spec.originTopic);
      this.#progress.endOffsetsLearned(offsets, askedAtMs);
      const unknown = this.#progress.partitionsWithoutPosition();
      const committed =
        unknown.length === 0
          ? []
          : await this.#deps.originAdmin.committedOffsets(this.#spec.restartSettings.consumerGroupId, [
              this.#spec.originTopic,
            ]);
      for (const partition of unknown) {
        const ends = offsets.find((o) => o.partition === partition);
        const stored = committed.find((c) => c.partition === partition)?.offset ?? null;
        // Without stored progress, a new flow starts at the beginning or end of what the origin holds.
        const position =
          stored ?? (this.#spec.start === 'earliest' ? (ends?.earliest ?? null) : (ends?.latest ?? null));
        if (position !== null) this.#progress.positionLearned(partition, position);
      }
      this.#publishLag();
    } catch (error) {
      this.#logger.debug({ err: error }, 'could not refresh the offset lag');
    }
  }

  #newProgress(): FlowProgress {
    return new FlowProgress(this.#deps.nowMs, {
      rateWindowMs: RATE_WINDOW_MS,
      staleAfterMs: this.#deps.lagRefreshMs * LAG_STALE_AFTER_REFRESHES,
    });
  }

  #publishLag(): void {
    const { lag } = this.#progress.summary();
    if (lag !== null) this.#deps.metrics.offsetLag.set(this.#labels, lag);
  }
}

async function describeIfExists(admin: KafkaAdmin, topic: string): Promise<TopicDescription | null> {
  try {
    return await admin.describeTopic(topic);
  } catch (error) {
    if (error instanceof TopicNotFound) return null;
    throw error;
  }
}

function labelsOf(spec: FlowSpec): FlowLabels {
  return {
    replication: spec.replication,
    origin: spec.origin,
    destination: spec.destination,
    topic: spec.originTopic,
  };
}

function childLogger(logger: Logger, spec: FlowSpec): Logger {
  return logger.child({
    flow: spec.key,
    replication: spec.replication,
    origin: spec.origin,
    destination: spec.destination,
    topic: spec.originTopic,
    destinationTopic: spec.destinationTopic,
  });
}
