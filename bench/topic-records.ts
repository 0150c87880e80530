// Watching a topic fill up from outside the mirror: the sum of its partitions' end offsets, polled with an
// admin client. Neither georep at-least-once nor MirrorMaker writes transaction markers here, so the end
// offsets count records exactly. An exactly-once copy has markers (and aborted records after a crash): it is
// watched through the progress its transactions commit with the records, the committed offsets of its
// progress group (next origin offset per partition, so their sum counts the origin records copied).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from '@platformatic/kafka';
import { endOffsets, toolAdmin } from '../harness/kafka-client.js';

/** An admin client of the benchmark's own (harness/kafka-client.ts), not georep's; close() it after use. */
export function benchAdmin(bootstrap: string): Admin {
  return toolAdmin(bootstrap, 'georep-bench');
}

/** Sum of the group's committed offsets for the topic: records copied, for an exactly-once progress group. */
export async function recordsCommittedByGroup(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
  const offsets = group?.topics.find((entry) => entry.name === topic);
  return (offsets?.partitions ?? []).reduce(
    (sum, partition) => sum + Math.max(0, Number(partition.committedOffset)),
    0,
  );
}

/** Records in the topic (sum of end offsets), or null while it does not exist. */
export async function recordsInTopic(admin: Admin, topic: string): Promise<number | null> {
  try {
    return [...(await endOffsets(admin, topic)).values()].reduce((sum, end) => sum + Number(end), 0);
  } catch {
    return null;
  }
}

export interface FillTiming {
  /** When the topic was first seen holding a record (performance.now() clock). */
  readonly firstRecordAtMs: number;
  /** How many records it held at that moment: the rate over the copy counts only those written after. */
  readonly recordsAtFirstLook: number;
  /** When it was first seen holding every expected record. */
  readonly allRecordsAtMs: number;
}

export interface WaitForRecordsOptions {
  readonly admin: Admin;
  readonly topic: string;
  readonly expectedRecords: number;
  readonly timeoutMs: number;
  /** Time between two looks; it bounds the precision of the timings. */
  readonly pollMs?: number;
  /** Why waiting is pointless (the mirror process died), or null to go on. */
  readonly failure?: () => string | null;
  readonly signal?: AbortSignal;
  /** Called at every look with the records seen so far (progress lines). */
  readonly onProgress?: (records: number) => void;
  /** Count records by this group's committed offsets instead of end offsets (an exactly-once copy). */
  readonly progressGroupId?: string;
}

/** Resolves when the topic holds `expectedRecords`; rejects on timeout, failure() or abort. */
export async function waitForRecords(options: WaitForRecordsOptions): Promise<FillTiming> {
  const startedAtMs = performance.now();
  let firstRecordAtMs: number | null = null;
  let recordsAtFirstLook = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const records =
      options.progressGroupId === undefined
        ? ((await recordsInTopic(options.admin, options.topic)) ?? 0)
        : // Before the first transaction the destination may still be making its offsets topic.
          await recordsCommittedByGroup(options.admin, options.progressGroupId, options.topic).catch(() => 0);
    const now = performance.now();
    if (records > 0 && firstRecordAtMs === null) {
      firstRecordAtMs = now;
      recordsAtFirstLook = records;
    }
    options.onProgress?.(records);
    if (records >= options.expectedRecords)
      return { firstRecordAtMs: firstRecordAtMs ?? now, recordsAtFirstLook, allRecordsAtMs: now };
    const failure = options.failure?.() ?? null;
    if (failure !== null)
      throw new Error(`${options.topic} has ${records} of ${options.expectedRecords} records: ${failure}`);
    if (now - startedAtMs > options.timeoutMs) {
      throw new Error(
        `${options.topic} has ${records} of ${options.expectedRecords} records after ${Math.round(options.timeoutMs / 1000)} s`,
      );
    }
    await sleep(options.pollMs ?? 200, undefined, options.signal ? { signal: options.signal } : {});
  }
}
