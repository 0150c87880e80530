// The two topics a flow copies between. Before a run copies anything, the destination topic is made ready:
// created like the origin's, or an existing one adopted (partitions added, configs made to follow), or refused
// by the pure decision in src/plan/destination-topic.ts. The topic ids then seen are pinned for the run (the
// source and the sink refuse a topic of the same name with another id) and stored as the flow's lineage, so
// that a later run tells a re-created topic.
import { InvalidRequest, TopicNotFound } from '../kafka/errors.js';
import type { CreatedTopic, KafkaAdmin, TopicConfigEntry, TopicDescription, TopicId } from '../kafka/port.js';
import { decideDestinationTopic } from '../plan/destination-topic.js';
import { FlowFailure } from '../plan/flow-failure.js';
import type { FlowSpec } from '../plan/flow-spec.js';
import {
  DESTINATION_TIMESTAMP_LIMITS,
  describeConfigDrift,
  destinationTopicConfigs,
  topicConfigUpdate,
} from '../plan/topic-configs.js';
import { lineageOf, lineageToStore, type StoredLineage, type TopicLineage } from '../plan/topic-lineage.js';
import type { FlowIdentity } from './flow-identity.js';
import { type LineageGroups, readLineage, writeLineage } from './topic-lineage-store.js';

/**
 * How often a running flow stores its lineage again: Kafka expires the offsets of a group nobody joins
 * (offsets.retention.minutes, 7 days by default) after their last commit.
 */
const LINEAGE_REFRESH_MS = 24 * 60 * 60_000;

/**
 * What MirrorFlowDependencies.flowsWithStoredProgress holds for a flow: its lane group and origin topic (within
 * a lane, an origin topic has one flow, and the lane's other flows' progress says nothing of this one's).
 */
export function storedProgressKey(spec: FlowSpec): string {
  return `${spec.restartSettings.laneGroupId} ${spec.originTopic}`;
}

export interface FlowTopicsDependencies {
  readonly identity: FlowIdentity;
  readonly originAdmin: KafkaAdmin;
  readonly destinationAdmin: KafkaAdmin;
  /** See MirrorFlowDependencies.flowsWithStoredProgress. */
  readonly flowsWithStoredProgress: Set<string>;
  /**
   * The group on both clusters that holds the lineage (the lane's `<lane group>.lineage`), and the one read where
   * it holds none (the flow's `<flow group>.lineage` from before lanes): see src/runtime/topic-lineage-store.ts.
   */
  readonly lineageGroups: LineageGroups;
  readonly nowMs: () => number;
}

/** The topic ids a run copies between; null where a client cannot tell ids. */
export interface PinnedTopicIds {
  readonly originTopicId: TopicId;
  readonly destinationTopicId: TopicId;
}

export class FlowTopics {
  readonly #deps: FlowTopicsDependencies;
  /** Partition count of the destination topic as last seen or made. */
  #destinationPartitions = 0;
  /** The topics this flow copies between, by id, as checked before its source started. */
  #ids: PinnedTopicIds = { originTopicId: null, destinationTopicId: null };
  /** When the lineage was last stored: rewritten daily, as Kafka expires offsets of a group nobody joins. */
  #lineageStoredAtMs: number | null = null;

  constructor(deps: FlowTopicsDependencies) {
    this.#deps = deps;
  }

  get ids(): PinnedTopicIds {
    return this.#ids;
  }

  get destinationPartitions(): number {
    return this.#destinationPartitions;
  }

  /**
   * Makes sure the destination topic exists with the origin's partition count and configs before anything
   * is written. A destination topic georep did not make (no progress stored for this flow) is used only if
   * it matches; one that disappeared after georep wrote to it is reported, never silently re-created; a topic
   * re-created on either side since this flow last started (told by the lineage it stored then) is reported.
   * Once decided, the topic ids are pinned for the source and the sink, and stored as the flow's lineage.
   */
  async prepare(): Promise<void> {
    const spec = this.#deps.identity.spec;
    const { originTopic } = spec;
    const { originAdmin, lineageGroups } = this.#deps;
    const excludes = spec.restartSettings.topicConfigExclude;
    const groupId = spec.restartSettings.consumerGroupId;
    const { laneGroupId } = spec.restartSettings;
    // All read at once: each is a round trip, shared with other flows' in a coalesced request, and thousands of
    // flows starting together wait for the longest of their reads rather than for the sum.
    const [origin, progress, onOrigin, firstLook] = await Promise.all([
      originAdmin.describeTopic(originTopic),
      // The lane's offsets for this topic, else (a flow upgraded from a group of its own) its old group's.
      Promise.all([
        hasCommittedOffsets(originAdmin, laneGroupId, originTopic),
        hasCommittedOffsets(originAdmin, groupId, originTopic),
      ]),
      readLineage(originAdmin, lineageGroups, originTopic),
      this.#lookAtDestination(),
    ]);
    const originPartitions = origin.partitions.length;
    const hasProgress = progress.includes(true);
    const progressKey = storedProgressKey(spec);
    const progressSeenBefore = this.#deps.flowsWithStoredProgress.has(progressKey);
    if (hasProgress) this.#deps.flowsWithStoredProgress.add(progressKey);

    for (let look = firstLook; ; look = await this.#lookAtDestination()) {
      const { destination, onDestination } = look;
      const configUpdate =
        destination === null ? null : topicConfigUpdate(origin.configs, destination.configs, excludes);
      const decision = decideDestinationTopic({
        ...this.#deps.identity.spec,
        groupId,
        lineageGroupIds: [...new Set([lineageGroups.groupId, lineageGroups.previousGroupId])],
        laneGroupId,
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
        lineage: { onOrigin: onOrigin.lineage, onDestination: onDestination.lineage },
        hasProgress,
        progressSeenBefore,
      });
      switch (decision.kind) {
        case 'refuse':
          if (decision.forgetProgressSeen) this.#deps.flowsWithStoredProgress.delete(progressKey);
          throw new FlowFailure({ ...decision.refusal, retriable: false });
        case 'create': {
          const created = await this.#createDestinationTopic(origin.configs, excludes, originPartitions);
          // Another georep process sharing this flow created it a moment ago: check it like any existing topic.
          if (created === 'already-exists') continue;
          await this.#pinLineage(origin.topicId, created.topicId, { onOrigin, onDestination: NO_LINEAGE });
          return;
        }
        case 'adopt':
          this.#destinationPartitions = destination!.partitions.length;
          if (decision.addPartitions) await this.ensureDestinationPartitions(originPartitions);
          if (decision.followConfigs && configUpdate !== null) {
            await this.#deps.destinationAdmin.alterTopicConfigs(spec.destinationTopic, configUpdate.changes);
            this.#deps.identity.logger.info(
              { drift: describeConfigDrift(configUpdate.drift) },
              'destination topic configs now follow the origin',
            );
          }
          await this.#pinLineage(origin.topicId, destination!.topicId, { onOrigin, onDestination });
          return;
      }
    }
  }

  /** The destination topic as it is now, and the lineage stored with it; both null when it does not exist. */
  async #lookAtDestination(): Promise<{
    destination: TopicDescription | null;
    onDestination: StoredLineage;
  }> {
    const { destinationAdmin, lineageGroups, identity } = this.#deps;
    const topic = identity.spec.destinationTopic;
    const [destination, onDestination] = await Promise.all([
      describeIfExists(destinationAdmin, topic),
      readLineage(destinationAdmin, lineageGroups, topic),
    ]);
    return { destination, onDestination: destination === null ? NO_LINEAGE : onDestination };
  }

  /** Gives the destination topic at least `count` partitions (the origin grew). */
  async ensureDestinationPartitions(count: number): Promise<void> {
    if (this.#destinationPartitions >= count) return;
    const { destinationAdmin, identity } = this.#deps;
    const { destinationTopic } = identity.spec;
    const described = await destinationAdmin.describeTopic(destinationTopic);
    if (described.partitions.length < count) {
      await destinationAdmin.createPartitions(destinationTopic, count);
      identity.logger.info(
        { from: described.partitions.length, to: count },
        'added partitions to the destination topic',
      );
    }
    this.#destinationPartitions = Math.max(count, described.partitions.length);
  }

  /** Rewrites the lineage once a day (see #lineageStoredAtMs); a failure is tried again at the next refresh. */
  async refreshLineage(): Promise<void> {
    const lineage = lineageOf(this.#ids.originTopicId, this.#ids.destinationTopicId);
    const storedAtMs = this.#lineageStoredAtMs;
    if (lineage === null || storedAtMs === null || this.#deps.nowMs() - storedAtMs < LINEAGE_REFRESH_MS)
      return;
    try {
      await this.#storeLineage(lineage, { origin: true, destination: true });
    } catch (error) {
      this.#deps.identity.logger.warn({ err: error }, "could not store the flow's topic lineage again");
    }
  }

  /**
   * Pins the topic ids for this run and stores them on both clusters where the lineage group does not hold them
   * yet: also where they were read from the flow's previous lineage group.
   */
  async #pinLineage(
    originTopicId: TopicId,
    destinationTopicId: TopicId,
    stored: { onOrigin: StoredLineage; onDestination: StoredLineage },
  ): Promise<void> {
    this.#ids = { originTopicId, destinationTopicId };
    const lineage = lineageOf(originTopicId, destinationTopicId);
    if (lineage === null) return;
    await this.#storeLineage(lineage, {
      origin: lineageToStore(stored.onOrigin, lineage),
      destination: lineageToStore(stored.onDestination, lineage),
    });
  }

  async #storeLineage(
    lineage: TopicLineage,
    where: { origin: boolean; destination: boolean },
  ): Promise<void> {
    const spec = this.#deps.identity.spec;
    const { groupId } = this.#deps.lineageGroups;
    await Promise.all([
      where.origin ? writeLineage(this.#deps.originAdmin, groupId, spec.originTopic, lineage) : null,
      where.destination
        ? writeLineage(this.#deps.destinationAdmin, groupId, spec.destinationTopic, lineage)
        : null,
    ]);
    this.#lineageStoredAtMs = this.#deps.nowMs();
  }

  /** Creates the destination topic like the origin's, unless another process created it first. */
  async #createDestinationTopic(
    originConfigs: readonly TopicConfigEntry[],
    excludes: readonly string[],
    partitionCount: number,
  ): Promise<CreatedTopic | 'already-exists'> {
    const replicationFactor = await this.#replicationFactor();
    const create = (configs: Record<string, string>) =>
      this.#deps.destinationAdmin.createTopic({
        name: this.#deps.identity.spec.destinationTopic,
        partitionCount,
        replicationFactor,
        configs: new Map(Object.entries(configs)),
      });
    let configs = { ...destinationTopicConfigs(originConfigs, excludes), ...DESTINATION_TIMESTAMP_LIMITS };
    let outcome: CreatedTopic | 'already-exists';
    try {
      outcome = await create(configs);
    } catch (error) {
      // A broker before Kafka 3.6 knows neither limit, and takes any timestamp: created without them.
      if (
        !(
          error instanceof InvalidRequest && /message\.timestamp\.(after|before)\.max\.ms/.test(error.message)
        )
      )
        throw error;
      configs = destinationTopicConfigs(originConfigs, excludes);
      outcome = await create(configs);
    }
    this.#destinationPartitions = partitionCount;
    if (outcome === 'already-exists') return outcome;
    this.#deps.identity.logger.info(
      { partitions: partitionCount, replicationFactor, configs },
      'created destination topic',
    );
    return outcome;
  }

  async #replicationFactor(): Promise<number> {
    const configured = this.#deps.identity.spec.restartSettings.replicationFactor;
    if (configured !== 'auto') return configured;
    return Math.min(3, await this.#deps.destinationAdmin.brokerCount());
  }
}

/** No lineage read: the topic does not exist. */
const NO_LINEAGE: StoredLineage = { lineage: null, fromPreviousGroup: false };

async function hasCommittedOffsets(admin: KafkaAdmin, groupId: string, topic: string): Promise<boolean> {
  return (await admin.committedOffsets(groupId, [topic])).some((committed) => committed.offset !== null);
}

async function describeIfExists(admin: KafkaAdmin, topic: string): Promise<TopicDescription | null> {
  try {
    return await admin.describeTopic(topic);
  } catch (error) {
    if (error instanceof TopicNotFound) return null;
    throw error;
  }
}
