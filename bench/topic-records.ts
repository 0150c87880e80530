// Watching a topic fill up from outside the mirror: the sum of its partitions' end offsets, polled with an
// admin client. Neither georep nor MirrorMaker writes transaction markers here, so the end offsets count
// records exactly.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, Kafka, logLevel } from 'kafkajs';

export function benchAdmin(bootstrap: string): Admin {
  return new Kafka({
    clientId: 'georep-bench',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  }).admin();
}

/** Records in the topic (sum of end offsets), or null while it does not exist. */
export async function recordsInTopic(admin: Admin, topic: string): Promise<number | null> {
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
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
}

/** Resolves when the topic holds `expectedRecords`; rejects on timeout, failure() or abort. */
export async function waitForRecords(options: WaitForRecordsOptions): Promise<FillTiming> {
  const startedAtMs = performance.now();
  let firstRecordAtMs: number | null = null;
  let recordsAtFirstLook = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const records = (await recordsInTopic(options.admin, options.topic)) ?? 0;
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
