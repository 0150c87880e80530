// `maxBytesPerSecond` of a replication: one token bucket shared by all its flows in this process, filled at the
// cap and emptied by the bytes each batch took on the wire (as georep_destination_bytes_written_total counts
// them). A flow waits before a write while the bucket is in debt, so the rate averages out at the cap; while
// it waits its source fetches nothing more, so a capped replication shows rising lag, not rising memory.
//
// A capped flow writes a batch in slices of about one produce request. Before each slice it reserves the
// slice's record bytes, once the bucket is out of debt; after the write it settles for what the slice took
// on the wire (less, when compressed). The first flow to find the bucket out of debt takes it back into debt,
// so waiting flows go one after the other, and over a minute the rate stays within a slice of the cap.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReplicationConfig } from '../config/types.js';
import type { ConsumedRecord, WrittenRange } from '../kafka/port.js';
import { chunksOfAtMost, DEFAULT_MAX_REQUEST_BYTES } from '../kafka/write-chunks.js';
import type { Metrics } from '../observability/metrics.js';

/** How much an idle replication may save up: a burst of this many seconds at the cap. */
const BURST_SECONDS = 1;
/** A flow waiting for the cap looks at it again at least this often. */
const MAX_WAIT_STEP_MS = 1000;

export class ByteRateLimiter {
  #bytesPerSecond: number;
  /** May be negative: bytes written beyond the cap, to be paid back before the next write. */
  #tokens: number;
  #updatedAtMs: number;
  readonly #nowMs: () => number;
  readonly #onThrottled: (ms: number) => void;
  #retired = false;
  /** Bytes written under this cap, and the time flows spent waiting for it (summed over flows). */
  bytesWritten = 0;
  throttledMs = 0;

  constructor(bytesPerSecond: number, nowMs: () => number, onThrottled: (ms: number) => void = () => {}) {
    this.#bytesPerSecond = bytesPerSecond;
    this.#tokens = bytesPerSecond * BURST_SECONDS;
    this.#nowMs = nowMs;
    this.#onThrottled = onThrottled;
    this.#updatedAtMs = nowMs();
  }

  get bytesPerSecond(): number {
    return this.#bytesPerSecond;
  }

  /** A new cap; what was saved up or owed carries over. */
  setRate(bytesPerSecond: number): void {
    this.#refill();
    this.#bytesPerSecond = bytesPerSecond;
  }

  /** The cap was removed: flows still waiting for it go on (within a second), and none waits again. */
  retire(): void {
    this.#retired = true;
  }

  /** How long a write must wait now: 0 unless the bucket is in debt. */
  waitMs(): number {
    if (this.#retired) return 0;
    this.#refill();
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.#bytesPerSecond);
  }

  /** Counts bytes written. */
  spend(bytes: number): void {
    this.#refill();
    // At most the burst, also when a write gives back what it reserved and did not send.
    this.#tokens = Math.min(this.#bytesPerSecond * BURST_SECONDS, this.#tokens - bytes);
    this.bytesWritten += bytes;
  }

  /**
   * Resolves once the bucket is out of debt, having taken `bytes` from it: what a write about to start expects
   * to send. Rejects when `signal` aborts.
   */
  async reserve(bytes: number, signal: AbortSignal): Promise<void> {
    for (let waitMs = this.waitMs(); waitMs > 0; waitMs = this.waitMs()) {
      // In steps of at most a second, each counted once waited: the counter follows the waiting as it happens
      // (a tiny cap can owe minutes), a flow stopped mid-wait counts only what it waited, and a cap raised by
      // a reload lets waiting flows go within a second.
      const startedAtMs = this.#nowMs();
      try {
        await sleep(Math.min(waitMs, MAX_WAIT_STEP_MS), undefined, { signal });
      } finally {
        const waitedMs = Math.max(0, this.#nowMs() - startedAtMs);
        this.throttledMs += waitedMs;
        // A removed cap's series is gone: counting into it would bring it back.
        if (!this.#retired) this.#onThrottled(waitedMs);
      }
    }
    this.spend(bytes);
  }

  /** The write that reserved `reservedBytes` sent `sentBytes`: the difference is taken or given back. */
  settle(reservedBytes: number, sentBytes: number): void {
    this.spend(sentBytes - reservedBytes);
  }

  #refill(): void {
    const nowMs = this.#nowMs();
    const elapsedMs = Math.max(0, nowMs - this.#updatedAtMs);
    this.#updatedAtMs = nowMs;
    this.#tokens = Math.min(
      this.#bytesPerSecond * BURST_SECONDS,
      this.#tokens + (elapsedMs * this.#bytesPerSecond) / 1000,
    );
  }
}

/** What /status shows of a replication's cap. */
export interface BandwidthCapStatus {
  readonly replication: string;
  readonly maxBytesPerSecond: number;
  /** Bytes its flows wrote since the cap was set (or the daemon started); a new value keeps counting. */
  readonly bytesWritten: number;
  /** Time its partitions waited for the cap, summed over them: each partition's batches wait on their own. */
  readonly throttledSeconds: number;
}

/** The caps of every replication that has one, by replication name, kept in step with the config. */
export class BandwidthCaps {
  readonly #limiters = new Map<string, ByteRateLimiter>();
  readonly #metrics: Metrics;
  readonly #nowMs: () => number;

  constructor(metrics: Metrics, nowMs: () => number) {
    this.#metrics = metrics;
    this.#nowMs = nowMs;
  }

  /** Creates, changes and removes caps to match the config's replications; flows need no restart. */
  apply(replications: readonly ReplicationConfig[]): void {
    const wanted = new Map(
      replications.flatMap((replication) =>
        replication.maxBytesPerSecond === null ? [] : [[replication.name, replication.maxBytesPerSecond]],
      ),
    );
    for (const name of this.#limiters.keys()) {
      if (wanted.has(name)) continue;
      this.#limiters.get(name)?.retire();
      this.#limiters.delete(name);
      // Both series go with the cap: set again later, it starts from nothing, as its /status entry does.
      this.#metrics.replicationMaxBytesPerSecond.remove({ replication: name });
      this.#metrics.replicationThrottledSeconds.remove({ replication: name });
    }
    for (const [name, bytesPerSecond] of wanted) {
      const limiter = this.#limiters.get(name);
      if (limiter === undefined) {
        const throttled = this.#metrics.replicationThrottledSeconds.labels({ replication: name });
        throttled.inc(0); // the series is there from the start: 0 until a flow first waits
        this.#limiters.set(
          name,
          new ByteRateLimiter(bytesPerSecond, this.#nowMs, (ms) => throttled.inc(ms / 1000)),
        );
      } else {
        limiter.setRate(bytesPerSecond);
      }
      this.#metrics.replicationMaxBytesPerSecond.set({ replication: name }, bytesPerSecond);
    }
  }

  /** The cap of a replication, or null when it has none. */
  of(replication: string): ByteRateLimiter | null {
    return this.#limiters.get(replication) ?? null;
  }

  statuses(): BandwidthCapStatus[] {
    return [...this.#limiters].map(([replication, limiter]) => ({
      replication,
      maxBytesPerSecond: limiter.bytesPerSecond,
      bytesWritten: limiter.bytesWritten,
      throttledSeconds: limiter.throttledMs / 1000,
    }));
  }
}

/**
 * Writes records with `write`, under a cap in slices of about one produce request, each reserved before and
 * settled after (see above); `write` gets each slice with the origin offset that follows it. Without a cap,
 * or without records, one write. `signal` ends any wait for the cap; `stopping` (the flow's stop) ends the wait
 * before the first slice only, when nothing of the batch was written: the batch is read again by the next run.
 * A wait between slices is left to `signal`, bounded by the stop's grace period, since the slices written so
 * far would be written again (at-least-once commits a batch's offset only once all of it is written).
 */
export async function writeWithinCap<R extends ConsumedRecord>(
  cap: ByteRateLimiter | null,
  records: readonly R[],
  nextOffset: bigint,
  signals: { readonly signal: AbortSignal; readonly stopping: AbortSignal },
  write: (slice: readonly R[], nextOffset: bigint) => Promise<readonly WrittenRange[]>,
): Promise<WrittenRange[]> {
  if (cap === null || records.length === 0) return [...(await write(records, nextOffset))];
  // Whole origin batches: a slice boundary through one would make the sink encode it instead of forwarding it.
  const slices = chunksOfAtMost(records, DEFAULT_MAX_REQUEST_BYTES, true);
  const written: WrittenRange[] = [];
  for (const [index, slice] of slices.entries()) {
    const reservedBytes = recordBytes(slice);
    const { signal, stopping } = signals;
    await cap.reserve(reservedBytes, index === 0 ? AbortSignal.any([signal, stopping]) : signal);
    const sliceEnd = index === slices.length - 1 ? nextOffset : slice.at(-1)!.offset + 1n;
    let sliceWritten: readonly WrittenRange[];
    try {
      sliceWritten = await write(slice, sliceEnd);
    } catch (error) {
      // Refused (too large, no ACL) or given up: what was reserved was not sent, or not knowably, and must not
      // hold back the replication's other flows as a debt. The batch is read and written again later.
      cap.settle(reservedBytes, 0);
      throw error;
    }
    // A client that cannot tell batch sizes (absent batchBytes) pays what was reserved.
    const sentBytes = sliceWritten.every((range) => range.batchBytes !== undefined)
      ? sliceWritten.reduce((sum, range) => sum + (range.batchBytes ?? 0), 0)
      : reservedBytes;
    cap.settle(reservedBytes, sentBytes);
    written.push(...sliceWritten);
  }
  return written;
}

/** Bytes of the records' keys, values and headers. */
export function recordBytes(records: readonly ConsumedRecord[]): number {
  let bytes = 0;
  for (const record of records) {
    bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
    for (const header of record.headers) bytes += header.key.length + (header.value?.length ?? 0);
  }
  return bytes;
}
