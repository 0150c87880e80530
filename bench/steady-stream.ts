// The unrelated flow of bench:reload as an application sees it: records written to the origin at a steady
// rate, and the times they arrive on the destination, read by a consumer of the copy. The gaps between
// arrivals are what a reload must not lengthen.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Brokers } from '../harness/kafka-client.js';
import { openReader } from '../harness/kafka-reader.js';
import type { RecordWriter } from '../harness/kafka-writer.js';
import { round } from './report.js';

/** How often the writer sends what is due: at 2,000 records/s, 20 records a send. */
const WRITE_TICK_MS = 10;

/**
 * Writes `recordsPerSecond` small records until stopped: every WRITE_TICK_MS one send of every record due by
 * then, one send at a time (a slow send is caught up by the next, not lost).
 */
export function startSteadyWrites(producer: RecordWriter, topic: string, recordsPerSecond: number) {
  let stopping = false;
  let written = 0;
  const loop = (async () => {
    const startedMs = performance.now();
    while (!stopping) {
      const due = Math.floor(((performance.now() - startedMs) * recordsPerSecond) / 1000);
      if (due > written) {
        const values = Array.from({ length: due - written }, (_, index) => ({
          value: String(written + index),
        }));
        await producer.send(topic, values);
        written = due;
      }
      await sleep(WRITE_TICK_MS);
    }
  })();
  return {
    get written() {
      return written;
    },
    async stop() {
      stopping = true;
      await loop;
    },
  };
}

/**
 * Arrival times (performance.now()) of the steady records on the destination, as a consumer in this process
 * sees them: what an application reading the copy would see.
 */
export async function watchArrivals(brokers: Brokers, topic: string) {
  const arrivalsMs: number[] = [];
  const reader = await openReader({
    brokers,
    topics: [topic],
    clientId: 'georep-bench-reload',
    from: 'latest',
    maxWaitTimeMs: 20,
    onRecord: () => arrivalsMs.push(performance.now()),
  });
  return { arrivalsMs, stop: () => reader.close() };
}

export interface GapSummary {
  readonly records: number;
  readonly maxGapMs: number | null;
  readonly p99GapMs: number | null;
  readonly medianGapMs: number | null;
}

export function gapsBetween(arrivalsMs: readonly number[], fromMs: number, toMs: number): GapSummary {
  const inWindow = arrivalsMs.filter((at) => at >= fromMs && at <= toMs);
  const gaps = inWindow.slice(1).map((at, index) => at - (inWindow[index] ?? at));
  return {
    records: inWindow.length,
    maxGapMs: percentile(gaps, 1, 1),
    p99GapMs: percentile(gaps, 0.99, 1),
    medianGapMs: percentile(gaps, 0.5, 1),
  };
}

export function percentile(values: readonly number[], q: number, digits = 0): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0, digits);
}

export interface Gap {
  /** When the record before the gap arrived (performance.now() clock). */
  readonly fromMs: number;
  readonly ms: number;
}

/** The gaps between arrivals in the window that are longer than `minMs`, in time order. */
export function gapsLongerThan(
  arrivalsMs: readonly number[],
  fromMs: number,
  toMs: number,
  minMs: number,
): Gap[] {
  const inWindow = arrivalsMs.filter((at) => at >= fromMs && at <= toMs);
  return inWindow
    .slice(1)
    .map((at, index) => ({ fromMs: inWindow[index] ?? at, ms: at - (inWindow[index] ?? at) }))
    .filter((gap) => gap.ms > minMs);
}
