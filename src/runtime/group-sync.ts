// Group sync: one per destination of a replication that names `groups` (src/plan/group-syncs.ts). Every
// `intervalMs` it
//   1. persists the offset maps its flows changed (`<prefix>.offset-syncs` on the destination);
//   2. lists the origin's consumer groups that the patterns select (never georep's own) and reads their
//      committed offsets for the topics mirrored from its origin to its destination;
//   3. translates each offset with the offset maps (offset-map.ts: never past a record not yet processed);
//   4. writes what changed as checkpoints to `<prefix>.checkpoints` on the destination, so that the
//      positions can be read there when the origin is gone (`georep offsets`);
//   5. commits the translated offsets to the same group on the destination, only while that group has no
//      members there and only forward: consumers already running on the destination are never moved.
// A failing step is reported in the status and retried at the next interval; flows are never disturbed.

import { isNeverMirroredGroup, selectsName } from '../config/patterns.js';
import { GroupNotEmpty } from '../kafka/errors.js';
import type { KafkaAdmin, KafkaCluster, RecordSink } from '../kafka/port.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { GroupSyncSpec } from '../plan/group-syncs.js';
import {
  checkpointsTopic,
  ensureCompactedTopic,
  offsetSyncsTopic,
  readCompactedTopic,
} from './compacted-topic.js';
import type { OffsetSyncStore } from './offset-sync-store.js';

export interface MirroredTopic {
  readonly originTopic: string;
  readonly destinationTopic: string;
}

export interface GroupSyncDependencies {
  readonly originAdmin: KafkaAdmin;
  readonly destination: KafkaCluster;
  readonly destinationAdmin: KafkaAdmin;
  readonly destinationSink: RecordSink;
  readonly store: OffsetSyncStore;
  /** The topics mirrored from the sync's origin to its destination now (the running flows). */
  readonly mirroredTopics: () => readonly MirroredTopic[];
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly nowMs: () => number;
  /** How long loading the persisted offset maps may take. */
  readonly readTimeoutMs: number;
}

export interface GroupPositionStatus {
  readonly group: string;
  /** Partitions with a translated position (written as a checkpoint). */
  readonly translatedPartitions: number;
  /** Partitions with a committed origin offset that could not be translated yet (nothing copied there). */
  readonly untranslatedPartitions: number;
  /** Whether the last sync committed to the destination group, or why not. */
  readonly destinationCommit: 'committed' | 'up-to-date' | 'group-has-members' | 'failed';
  readonly lastSyncAtMs: number | null;
  readonly error: string | null;
}

export interface GroupSyncStatus {
  readonly key: string;
  /** What the sync runs with, so that `georep plan` can compare a config with it. */
  readonly spec: GroupSyncSpec;
  readonly replication: string;
  readonly origin: string;
  readonly destination: string;
  readonly lastSyncAtMs: number | null;
  readonly error: string | null;
  readonly groups: readonly GroupPositionStatus[];
}

/** A checkpoint as stored on the destination: value of key {group, topic, partition}. */
export interface CheckpointValue {
  readonly originTopic: string;
  readonly originOffset: string;
  readonly destinationOffset: string;
  readonly atMs: number;
}

export function checkpointKey(group: string, destinationTopic: string, partition: number): string {
  return JSON.stringify({ group, topic: destinationTopic, partition });
}

export class GroupSync {
  #spec: GroupSyncSpec;
  readonly #deps: GroupSyncDependencies;
  #logger: Logger;
  readonly #stop = new AbortController();
  readonly #running: Promise<void>;
  #topicsReady = false;
  /** Checkpoints as last written, by key: only changes are written again. */
  readonly #written = new Map<string, string>();
  #lastSyncAtMs: number | null = null;
  #error: string | null = null;
  #groups = new Map<string, GroupPositionStatus>();

  constructor(spec: GroupSyncSpec, deps: GroupSyncDependencies) {
    this.#spec = spec;
    this.#deps = deps;
    this.#logger = this.#childLogger();
    this.#running = this.#loop();
  }

  get spec(): GroupSyncSpec {
    return this.#spec;
  }

  /**
   * Takes a spec that differs only in what planGroupSyncs updates in place (the replication's name): the next
   * pass labels its metrics and log lines with the new name; the series under the old one go.
   */
  update(spec: GroupSyncSpec): void {
    this.#removeSeries();
    this.#spec = spec;
    this.#logger = this.#childLogger();
  }

  #childLogger(): Logger {
    return this.#deps.logger.child({
      component: 'group-sync',
      replication: this.#spec.replication,
      destination: this.#spec.destination,
    });
  }

  #removeSeries(): void {
    for (const group of this.#groups.keys())
      this.#deps.metrics.groupTranslatedPartitions.remove(this.#labels(group));
    this.#deps.metrics.groupSyncLastSuccess.remove({
      replication: this.#spec.replication,
      destination: this.#spec.destination,
    });
  }

  status(): GroupSyncStatus {
    return {
      key: this.#spec.key,
      spec: this.#spec,
      replication: this.#spec.replication,
      origin: this.#spec.origin,
      destination: this.#spec.destination,
      lastSyncAtMs: this.#lastSyncAtMs,
      error: this.#error,
      groups: [...this.#groups.values()].sort((a, b) => (a.group < b.group ? -1 : 1)),
    };
  }

  /** Stops after the sync in progress, if any; never rejects. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    this.#removeSeries();
  }

  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        await this.syncOnce();
        this.#error = null;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (this.#error !== message) this.#logger.warn(`group sync failed, trying again: ${message}`);
        this.#error = message;
        this.#deps.metrics.groupSyncErrors.inc({
          replication: this.#spec.replication,
          destination: this.#spec.destination,
        });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#spec.intervalMs);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** One pass of steps 1–5 (see the top of this file). */
  async syncOnce(): Promise<void> {
    const { destinationAdmin, destinationSink, store } = this.#deps;
    const prefix = this.#spec.groupIdPrefix;
    if (!this.#topicsReady) {
      await ensureCompactedTopic(destinationAdmin, offsetSyncsTopic(prefix));
      await ensureCompactedTopic(destinationAdmin, checkpointsTopic(prefix));
      this.#topicsReady = true;
    }
    if (!store.loaded) {
      const persisted = await readCompactedTopic(
        this.#deps.destination,
        destinationAdmin,
        offsetSyncsTopic(prefix),
        prefix,
        this.#deps.readTimeoutMs,
      );
      store.load([...persisted].map(([key, value]) => ({ key: Buffer.from(key), value })));
      this.#logger.info({ partitions: persisted.size }, 'loaded the persisted offset maps');
    }
    const topics = this.#deps.mirroredTopics();
    const changedMaps = store.changedMaps(new Set(topics.map((topic) => topic.destinationTopic)));
    if (changedMaps.length > 0) {
      await destinationSink.write(
        offsetSyncsTopic(prefix),
        0,
        changedMaps.map(({ record }) => ({ ...record, headers: [], timestampMs: this.#deps.nowMs() })),
      );
      store.persisted(changedMaps);
    }
    if (this.#stop.signal.aborted || topics.length === 0) return;

    const groups = (await this.#deps.originAdmin.listConsumerGroups())
      .map((summary) => summary.groupId)
      .filter(
        (group) =>
          selectsName(this.#spec.groups, group) && !isNeverMirroredGroup(group, { groupIdPrefix: prefix }),
      )
      .sort();
    const seen = new Set<string>();
    for (const group of groups) {
      if (this.#stop.signal.aborted) return;
      seen.add(group);
      this.#groups.set(group, await this.#syncGroup(group, topics));
    }
    for (const group of this.#groups.keys()) {
      if (seen.has(group)) continue;
      this.#groups.delete(group);
      this.#deps.metrics.groupTranslatedPartitions.remove(this.#labels(group));
    }
    this.#lastSyncAtMs = this.#deps.nowMs();
    this.#deps.metrics.groupSyncLastSuccess.set(
      { replication: this.#spec.replication, destination: this.#spec.destination },
      this.#lastSyncAtMs / 1000,
    );
  }

  async #syncGroup(group: string, topics: readonly MirroredTopic[]): Promise<GroupPositionStatus> {
    const atMs = this.#deps.nowMs();
    const byOrigin = new Map(topics.map((topic) => [topic.originTopic, topic.destinationTopic]));
    const committed = await this.#deps.originAdmin.committedOffsets(group, [...byOrigin.keys()]);
    const checkpoints: { key: string; position: string; value: Buffer }[] = [];
    const translated = new Map<string, { partition: number; offset: bigint }[]>();
    let untranslated = 0;
    for (const entry of committed) {
      const destinationTopic = byOrigin.get(entry.topic);
      if (entry.offset === null || destinationTopic === undefined) continue;
      const destinationOffset = this.#deps.store.translate(destinationTopic, entry.partition, entry.offset);
      const key = checkpointKey(group, destinationTopic, entry.partition);
      if (destinationOffset === null) {
        // Keep what was translated before (if anything): older than the maps, or nothing copied yet.
        if (!this.#written.has(key)) untranslated++;
        continue;
      }
      const list = translated.get(destinationTopic) ?? [];
      list.push({ partition: entry.partition, offset: destinationOffset });
      translated.set(destinationTopic, list);
      const position = `${entry.offset}>${destinationOffset}`;
      if (this.#written.get(key) === position) continue;
      const value: CheckpointValue = {
        originTopic: entry.topic,
        originOffset: entry.offset.toString(),
        destinationOffset: destinationOffset.toString(),
        atMs,
      };
      checkpoints.push({ key, position, value: Buffer.from(JSON.stringify(value)) });
    }
    if (checkpoints.length > 0) {
      await this.#deps.destinationSink.write(
        checkpointsTopic(this.#spec.groupIdPrefix),
        0,
        checkpoints.map((record) => ({
          key: Buffer.from(record.key),
          value: record.value,
          headers: [],
          timestampMs: atMs,
        })),
      );
      // Only what the destination acknowledged counts as written; a failed write is tried again next time.
      for (const record of checkpoints) this.#written.set(record.key, record.position);
    }
    const translatedPartitions = [...translated.values()].reduce((sum, list) => sum + list.length, 0);
    this.#deps.metrics.groupTranslatedPartitions.set(this.#labels(group), translatedPartitions);
    let destinationCommit: GroupPositionStatus['destinationCommit'];
    let error: string | null = null;
    try {
      destinationCommit = await this.#commitToDestination(group, translated);
    } catch (commitError) {
      destinationCommit = 'failed';
      error = commitError instanceof Error ? commitError.message : String(commitError);
    }
    return {
      group,
      translatedPartitions,
      untranslatedPartitions: untranslated,
      destinationCommit,
      lastSyncAtMs: atMs,
      error,
    };
  }

  /** Commits the translated offsets to the group on the destination: only forward, only while it has no members. */
  async #commitToDestination(
    group: string,
    translated: ReadonlyMap<string, readonly { partition: number; offset: bigint }[]>,
  ): Promise<GroupPositionStatus['destinationCommit']> {
    const admin = this.#deps.destinationAdmin;
    const [description] = await admin.describeConsumerGroups([group]);
    if ((description?.memberCount ?? 0) > 0) return 'group-has-members';
    const current = await admin.committedOffsets(group, [...translated.keys()]);
    let committed = false;
    for (const [topic, offsets] of translated) {
      const forward = offsets.filter(({ partition, offset }) => {
        const now = current.find((entry) => entry.topic === topic && entry.partition === partition)?.offset;
        return now === undefined || now === null || offset > now;
      });
      if (forward.length === 0) continue;
      try {
        await admin.setCommittedOffsets(group, topic, forward);
        committed = true;
      } catch (error) {
        // Consumers joined on the destination between the check and the commit: they own the position now.
        if (error instanceof GroupNotEmpty) return 'group-has-members';
        throw error;
      }
    }
    return committed ? 'committed' : 'up-to-date';
  }

  #labels(group: string) {
    return { replication: this.#spec.replication, destination: this.#spec.destination, group };
  }
}
