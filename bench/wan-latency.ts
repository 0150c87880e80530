// End-to-end latency of a mirror under a steady load: Kafka's ProducerPerformance writes JSON events at a fixed
// rate to the origin, a reader on the origin (direct) notes when each record is there to read, and a reader
// on the destination when its copy is. Both mirrors keep partitions and the order within them, and both readers
// start at the end of the topics before the load begins, so the n-th record a reader sees in a partition is
// the same record on both sides (checked by its timestamp, which both mirrors copy). Per record:
// - mirror latency: readable on the origin → readable on the destination, i.e. origin append → destination
//   append, plus the difference of the two readers' delays, which are alike (same process, same kind of reader);
// - create → destination: from the producer's create time, which adds the producer's batching and the origin's
//   append, as an application would see it. Both readers run in this process, on the same clock as the
//   timestamps.
import type { LocalKafkaCluster } from '../harness/kafka-local.js';
import { openReader, type TopicReader } from '../harness/kafka-reader.js';
import type { Lateness } from '../harness/wan-proxy.js';
import type { MirrorRunInput, RunningMirror } from './mirror-runs.js';
import { runProducerPerformance } from './perf-tools.js';
import { round } from './report.js';
import { benchAdmin, recordsInTopic, waitForRecords } from './topic-records.js';

export interface LatencyFigures {
  readonly records: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface LatencyResult {
  readonly tool: string;
  readonly recordsPerSecond: number;
  /** Readable on the origin → readable on the destination, per record. */
  readonly mirror: LatencyFigures;
  /** Create time → read on the origin, direct: producing and reading without a mirror. */
  readonly origin: LatencyFigures;
  /** Create time → read on the destination: through the mirror. */
  readonly destination: LatencyFigures;
  /** Records whose n-th-in-partition counterpart had another timestamp (left out; 0 unless a mirror reordered). */
  readonly unmatched: number;
  /**
   * How late the WAN proxy (in this process, beside both readers) passed chunks on while the load ran: part of
   * the mirror's latency that is the harness's, not the mirror's. Null without a proxy.
   */
  readonly proxyLate: Lateness | null;
}

interface Arrival {
  readonly timestampMs: number;
  readonly atMs: number;
}

/** Arrivals by partition, in the order a reader saw them. */
type Arrivals = Map<number, Arrival[]>;

/** Destination arrival minus origin arrival of the same record (the n-th of its partition on both sides). */
export function mirrorLatencies(
  origin: Arrivals,
  destination: Arrivals,
): { latenciesMs: number[]; unmatched: number } {
  const latenciesMs: number[] = [];
  let unmatched = 0;
  for (const [partition, copies] of destination) {
    const originals = origin.get(partition) ?? [];
    copies.forEach((copy, index) => {
      const original = originals[index];
      if (original === undefined || original.timestampMs !== copy.timestampMs) unmatched += 1;
      else latenciesMs.push(copy.atMs - original.atMs);
    });
  }
  return { latenciesMs, unmatched };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function latencyFigures(latenciesMs: readonly number[]): LatencyFigures {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    records: sorted.length,
    p50Ms: round(percentile(sorted, 0.5), 1),
    p99Ms: round(percentile(sorted, 0.99), 1),
    maxMs: round(sorted.at(-1) ?? Number.NaN, 1),
  };
}

async function latencyReader(
  cluster: LocalKafkaCluster,
  topic: string,
  into: Arrivals,
): Promise<TopicReader> {
  return openReader({
    brokers: cluster.bootstrap,
    topics: [topic],
    from: 'latest',
    onRecord: (record) => {
      const arrival = { timestampMs: Number(record.timestampMs), atMs: Date.now() };
      const arrivals = into.get(record.partition);
      if (arrivals === undefined) into.set(record.partition, [arrival]);
      else arrivals.push(arrival);
    },
  });
}

function sinceCreated(arrivals: Arrivals): number[] {
  return [...arrivals.values()].flat().map((arrival) => arrival.atMs - arrival.timestampMs);
}

function arrivalCount(arrivals: Arrivals): number {
  return [...arrivals.values()].reduce((sum, each) => sum + each.length, 0);
}

export interface SteadyLoad {
  readonly recordsPerSecond: number;
  readonly seconds: number;
  readonly payloadFile: string;
  /** Records written (and waited for on the destination) before measuring: the mirror is up and copying. */
  readonly warmUpRecords: number;
}

/**
 * With `mirror` already started on `input.topic` (empty so far): warms it up, then writes `load` at its
 * steady rate and measures each record's latency on the origin and on the destination.
 */
export async function measureLatency(
  input: MirrorRunInput,
  mirror: RunningMirror,
  load: SteadyLoad,
  say: (line: string) => void,
): Promise<LatencyResult> {
  const { origin, destination, topic, signal } = input;
  const produce = (records: number, recordsPerSecond: number) =>
    runProducerPerformance({
      version: input.version,
      bootstrap: origin.bootstrap,
      topic,
      records,
      recordBytes: input.recordBytes,
      payloadFile: load.payloadFile,
      compression: 'zstd',
      recordsPerSecond,
      timeoutMs: 120_000 + load.seconds * 2000,
      signal,
    });
  const admin = benchAdmin(destination.bootstrap);
  const originArrivals: Arrivals = new Map();
  const destinationArrivals: Arrivals = new Map();
  const readers: TopicReader[] = [];
  try {
    await produce(load.warmUpRecords, load.warmUpRecords);
    await waitForRecords({
      admin,
      topic: mirror.destinationTopic,
      expectedRecords: load.warmUpRecords,
      timeoutMs: 120_000,
      failure: () => mirror.failure(),
      signal,
    });
    readers.push(await latencyReader(origin, topic, originArrivals));
    readers.push(await latencyReader(destination, mirror.destinationTopic, destinationArrivals));
    const records = load.recordsPerSecond * load.seconds;
    say(`  ${mirror.tool}: ${records} records at ${load.recordsPerSecond}/s…`);
    origin.wanProxy?.lateness({ reset: true });
    const producer = await produce(records, load.recordsPerSecond);
    await waitForRecords({
      admin,
      topic: mirror.destinationTopic,
      expectedRecords: load.warmUpRecords + records,
      timeoutMs: 120_000,
      failure: () => mirror.failure(),
      signal,
    });
    // The readers may still be a fetch behind the end offsets.
    const deadline = performance.now() + 10_000;
    while (arrivalCount(destinationArrivals) < records && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const proxyLate = origin.wanProxy?.lateness() ?? null;
    const copied = await recordsInTopic(admin, mirror.destinationTopic);
    if (copied !== load.warmUpRecords + records)
      say(`  (the destination holds ${copied} records, ${load.warmUpRecords + records} expected)`);
    const { latenciesMs, unmatched } = mirrorLatencies(originArrivals, destinationArrivals);
    return {
      tool: mirror.tool,
      recordsPerSecond: producer.recordsPerSecond,
      mirror: latencyFigures(latenciesMs),
      origin: latencyFigures(sinceCreated(originArrivals)),
      destination: latencyFigures(sinceCreated(destinationArrivals)),
      unmatched,
      proxyLate,
    };
  } finally {
    await Promise.all(readers.map((reader) => reader.close()));
    await admin.close();
  }
}
