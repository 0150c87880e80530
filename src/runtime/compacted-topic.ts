// georep's own small topics on a destination (`<prefix>.offset-syncs`, `<prefix>.checkpoints`): compacted,
// one partition, keyed records of which only the latest per key counts. Created with explicit configs, read
// to the end through the port's source in a short-lived group that is deleted afterwards.
import { randomBytes } from 'node:crypto';
import type { KafkaAdmin, KafkaCluster } from '../kafka/port.js';

/** Names of the internal topics on a destination; `georep.*`-style names are never mirrored. */
export function offsetSyncsTopic(groupIdPrefix: string): string {
  return `${groupIdPrefix}.offset-syncs`;
}

export function checkpointsTopic(groupIdPrefix: string): string {
  return `${groupIdPrefix}.checkpoints`;
}

/** Creates the topic if missing: one partition (order matters, volume is tiny), compacted, kept forever. */
export async function ensureCompactedTopic(admin: KafkaAdmin, topic: string): Promise<void> {
  await admin.createTopic({
    name: topic,
    partitionCount: 1,
    replicationFactor: Math.min(3, await admin.brokerCount()),
    configs: new Map([
      ['cleanup.policy', 'compact'],
      // compaction keeps the latest value of every key; nothing is deleted by age
      ['retention.ms', '-1'],
    ]),
  });
}

/**
 * The latest value of every key of a compacted topic, read from the beginning up to the end it had when
 * called. An empty topic is read without joining a group.
 * @throws an Error naming the topic when it was not read to its end within `timeoutMs`.
 */
export async function readCompactedTopic(
  cluster: KafkaCluster,
  admin: KafkaAdmin,
  topic: string,
  groupIdPrefix: string,
  timeoutMs: number,
): Promise<Map<string, Buffer>> {
  const ends = await admin.partitionOffsets(topic);
  const pending = new Map(
    ends.filter((end) => end.latest > end.earliest).map((end) => [end.partition, end.latest]),
  );
  const latest = new Map<string, Buffer>();
  if (pending.size === 0) return latest;
  const groupId = `${groupIdPrefix}.reader-${randomBytes(6).toString('hex')}`;
  const source = cluster.createSource({ topic, groupId, startPosition: 'earliest' });
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`could not read ${topic} on ${cluster.name} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      source
        .run(async (batch) => {
          const end = pending.get(batch.partition);
          for (const record of batch.records) {
            if (end !== undefined && record.offset >= end) break;
            if (record.key === null) continue;
            const key = record.key.toString('utf8');
            if (record.value === null) latest.delete(key);
            else latest.set(key, record.value);
          }
          if (end !== undefined && batch.nextOffset >= end) pending.delete(batch.partition);
          if (pending.size === 0) resolve();
        })
        .then(
          () => reject(new Error(`reading ${topic} on ${cluster.name} stopped early`)),
          (error: unknown) => reject(error),
        );
    });
  } finally {
    clearTimeout(timer);
    await source.stop({ inFlightGraceMs: 0 }).catch(() => undefined);
    await admin.deleteConsumerGroup(groupId).catch(() => undefined);
  }
  return latest;
}
