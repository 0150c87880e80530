// The offset maps of one destination cluster: every flow writing there records where its records landed, and
// the group sync of each replication translates committed offsets with them. The maps are persisted as
// records of a compacted topic on the destination (`<groupIdPrefix>.offset-syncs`, one record per
// destination topic and partition, the latest wins) so that a restarted daemon translates positions older
// than its restart too. Persisting and loading are the group sync's job; this class holds plain data.
import type { WrittenRange } from '../kafka/port.js';
import { type OffsetSegment, PartitionOffsetMap, type PartitionOffsetMapData } from './offset-map.js';

/** What a flow tells the store after each acknowledged write. */
export interface OffsetMapRecorder {
  recordWrite(
    destinationTopic: string,
    partition: number,
    originOffsets: readonly bigint[],
    written: readonly WrittenRange[],
    nextOriginOffset: bigint,
  ): void;
}

/** One persisted record of the offset-syncs topic: its key and value bytes. */
export interface OffsetSyncRecord {
  readonly key: Buffer;
  readonly value: Buffer;
}

/** A partition's offset map that changed since it was last persisted, and the record that persists it. */
export interface ChangedOffsetMap {
  readonly destinationTopic: string;
  readonly partition: number;
  /** The map as `record` holds it. */
  readonly data: PartitionOffsetMapData;
  readonly record: OffsetSyncRecord;
}

export class OffsetSyncStore implements OffsetMapRecorder {
  readonly #maps = new Map<string, PartitionOffsetMap>();
  /** Partitions recorded since they were last persisted, by mapKey, with the topic and partition it names. */
  readonly #changed = new Map<string, { readonly destinationTopic: string; readonly partition: number }>();
  #loaded = false;

  recordWrite(
    destinationTopic: string,
    partition: number,
    originOffsets: readonly bigint[],
    written: readonly WrittenRange[],
    nextOriginOffset: bigint,
  ): void {
    const key = mapKey(destinationTopic, partition);
    let map = this.#maps.get(key);
    if (map === undefined) {
      map = new PartitionOffsetMap(null);
      this.#maps.set(key, map);
    }
    if (originOffsets.length === 0) {
      map.recordSkipped(nextOriginOffset);
    } else {
      const destinationOffsets: bigint[] = [];
      for (const range of written) {
        for (let index = 0; index < range.recordCount; index++)
          destinationOffsets.push(range.firstOffset + BigInt(index));
      }
      map.recordWrite(originOffsets, destinationOffsets, nextOriginOffset);
    }
    if (!this.#changed.has(key)) this.#changed.set(key, { destinationTopic, partition });
  }

  translate(destinationTopic: string, partition: number, originOffset: bigint): bigint | null {
    return this.#maps.get(mapKey(destinationTopic, partition))?.translate(originOffset) ?? null;
  }

  /** Whether the persisted maps were loaded into this store (once per process and destination). */
  get loaded(): boolean {
    return this.#loaded;
  }

  /**
   * Takes the persisted maps. What was recorded since this process started was written after them, so it
   * follows them; a restart's unknown writes in between are never bridged (see offset-map.ts).
   */
  load(records: readonly OffsetSyncRecord[]): void {
    this.#loaded = true;
    for (const record of records) {
      const parsed = parseRecord(record);
      if (parsed === null) continue;
      const key = mapKey(parsed.destinationTopic, parsed.partition);
      const recorded = this.#maps.get(key)?.data();
      this.#maps.set(
        key,
        new PartitionOffsetMap(
          recorded === undefined
            ? parsed.data
            : { ...recorded, segments: [...parsed.data.segments, ...recorded.segments] },
        ),
      );
    }
  }

  /**
   * The maps of the partitions of `destinationTopics` changed since they were last persisted, each with its
   * record; they count as persisted once `persisted()` is called with them (after the destination acknowledged
   * the records).
   */
  changedMaps(destinationTopics: ReadonlySet<string>): ChangedOffsetMap[] {
    const changed: ChangedOffsetMap[] = [];
    for (const [key, { destinationTopic, partition }] of this.#changed) {
      const data = this.#maps.get(key)?.data();
      if (!destinationTopics.has(destinationTopic) || data === undefined) continue;
      changed.push({
        destinationTopic,
        partition,
        data,
        record: toRecord(destinationTopic, partition, data),
      });
    }
    return changed;
  }

  /** Marks the partitions of `changed` persisted, unless they changed again since. */
  persisted(changed: readonly ChangedOffsetMap[]): void {
    for (const { destinationTopic, partition, data } of changed) {
      const key = mapKey(destinationTopic, partition);
      const now = this.#maps.get(key)?.data();
      if (now !== undefined && sameData(now, data)) this.#changed.delete(key);
    }
  }
}

function sameData(a: PartitionOffsetMapData, b: PartitionOffsetMapData): boolean {
  return (
    a.originProgress === b.originProgress &&
    a.destinationEnd === b.destinationEnd &&
    a.segments.length === b.segments.length
  );
}

function mapKey(destinationTopic: string, partition: number): string {
  return `${destinationTopic}\u0000${partition}`;
}

/** Offsets as decimal strings (JSON has no 64-bit integers); a segment as [origin, destination, count, coveredEnd]. */
function toRecord(
  destinationTopic: string,
  partition: number,
  data: PartitionOffsetMapData,
): OffsetSyncRecord {
  return {
    key: Buffer.from(JSON.stringify({ topic: destinationTopic, partition })),
    value: Buffer.from(
      JSON.stringify({
        originProgress: data.originProgress?.toString() ?? null,
        destinationEnd: data.destinationEnd?.toString() ?? null,
        segments: data.segments.map((segment) => [
          segment.originStart.toString(),
          segment.destinationStart.toString(),
          segment.recordCount,
          segment.originCoveredEnd.toString(),
        ]),
      }),
    ),
  };
}

/** A record this version cannot read (another version wrote it, or it is damaged) is ignored: it only costs precision. */
function parseRecord(
  record: OffsetSyncRecord,
): { destinationTopic: string; partition: number; data: PartitionOffsetMapData } | null {
  try {
    const key = JSON.parse(record.key.toString('utf8')) as { topic: unknown; partition: unknown };
    const value = JSON.parse(record.value.toString('utf8')) as {
      originProgress: string | null;
      destinationEnd: string | null;
      segments: [string, string, number, string][];
    };
    if (typeof key.topic !== 'string' || typeof key.partition !== 'number') return null;
    const segments: OffsetSegment[] = value.segments.map(([origin, destination, count, coveredEnd]) => ({
      originStart: BigInt(origin),
      destinationStart: BigInt(destination),
      recordCount: count,
      originCoveredEnd: BigInt(coveredEnd),
    }));
    return {
      destinationTopic: key.topic,
      partition: key.partition,
      data: {
        segments,
        originProgress: value.originProgress === null ? null : BigInt(value.originProgress),
        destinationEnd: value.destinationEnd === null ? null : BigInt(value.destinationEnd),
      },
    };
  } catch {
    return null;
  }
}

/** One store per destination cluster, kept across reloads: flows keep recording into them. */
export class OffsetSyncStores {
  readonly #stores = new Map<string, OffsetSyncStore>();

  /** The store of `destination`, created on first use. */
  of(destination: string): OffsetSyncStore {
    let store = this.#stores.get(destination);
    if (store === undefined) {
      store = new OffsetSyncStore();
      this.#stores.set(destination, store);
    }
    return store;
  }
}
