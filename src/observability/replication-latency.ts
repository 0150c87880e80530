// The latency histogram, one series per replication, origin and destination: shared by the flows of a
// replication into one destination, never one per topic. A histogram costs 17 series (14 buckets, +Inf, sum,
// count), so one per topic made 170,000 of the 230,000 series of 10,000 topics and most of the time /metrics
// took. How far behind each topic is stays in /status (timeLagMs, BEHIND in `georep status`). A series lives
// while a flow in this process holds it: it goes when the last flow of its replication into its destination
// stops or moves to another replication name, so a removed or renamed replication leaves no series behind,
// while a replication that lost one topic keeps its series, counts and all, for the topics it still copies.
// A series is there, with zero counts, from the moment a flow holds it, so rate() has a start to work from.
//
// Every record copied is observed, hundreds of thousands a second in a busy copy, so the series are georep's
// own and take a batch at a time: prom-client's Histogram validates and hashes the labels on every
// observation, which was 4.5% of a busy event loop copying a zstd topic. The registry only asks a metric for
// its name, help, type and values, which this one gives in the shape prom-client's Histogram does.
import type { Histogram, Registry } from 'prom-client';

const LABELS = ['replication', 'origin', 'destination'] as const;
export type ReplicationLatencyLabels = Record<(typeof LABELS)[number], string>;

const NAME = 'georep_replication_latency_seconds';
const HELP =
  "Time from a record's origin timestamp to the destination's acknowledgement of its copy, over the replication's flows into the destination.";
const BUCKET_BOUNDS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** A flow's hold on its latency series: observe what it copied, release() once when the flow stops. */
export interface LatencySeries {
  /** Each record's latency: from its timestamp to when the destination acknowledged its copy. */
  observeCopied(records: readonly { readonly timestampMs: number }[], acknowledgedAtMs: number): void;
  release(): void;
}

/** A line of the exposition, as prom-client's registry formats it. */
interface ExposedValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly metricName: string;
}

interface Series {
  readonly labels: ReplicationLatencyLabels;
  /** Observations per bucket, not cumulative; the last is above every bound (+Inf). */
  readonly bucketCounts: number[];
  sumSeconds: number;
  count: number;
  holders: number;
}

export class ReplicationLatency {
  readonly #series = new Map<string, Series>();

  constructor(registry: Registry) {
    const metric = {
      name: NAME,
      help: HELP,
      type: 'histogram',
      get: async () => ({
        name: NAME,
        help: HELP,
        type: 'histogram',
        aggregator: 'sum',
        values: this.#values(),
      }),
      reset: () => {
        for (const series of this.#series.values()) clearCounts(series);
      },
    };
    // The registry reads only these fields (and get()'s values); its type names prom-client's own classes.
    registry.registerMetric(metric as unknown as Histogram);
  }

  /** The series of these labels, held until release(): the flow observes each record it copied there. */
  hold({ replication, origin, destination }: ReplicationLatencyLabels): LatencySeries {
    const key = JSON.stringify([replication, origin, destination]);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = {
        labels: { replication, origin, destination },
        bucketCounts: [],
        sumSeconds: 0,
        count: 0,
        holders: 0,
      };
      clearCounts(series);
      this.#series.set(key, series);
    }
    series.holders += 1;
    const held = series;
    let released = false;
    return {
      observeCopied: (records, acknowledgedAtMs) => observeCopied(held, records, acknowledgedAtMs),
      release: () => {
        if (released) return;
        released = true;
        held.holders -= 1;
        if (held.holders === 0) this.#series.delete(key);
      },
    };
  }

  #values(): ExposedValue[] {
    const values: ExposedValue[] = [];
    for (const { labels, bucketCounts, sumSeconds, count } of this.#series.values()) {
      let cumulative = 0;
      for (let bucket = 0; bucket < bucketCounts.length; bucket += 1) {
        cumulative += bucketCounts[bucket] ?? 0;
        const le = BUCKET_BOUNDS_SECONDS[bucket] ?? '+Inf';
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${NAME}_bucket` });
      }
      values.push({ labels: { ...labels }, value: sumSeconds, metricName: `${NAME}_sum` });
      values.push({ labels: { ...labels }, value: count, metricName: `${NAME}_count` });
    }
    return values;
  }
}

function observeCopied(
  series: Series,
  records: readonly { readonly timestampMs: number }[],
  acknowledgedAtMs: number,
): void {
  const { bucketCounts } = series;
  for (const { timestampMs } of records) {
    // A clock ahead on the origin's producer would make it negative: counted as no time at all.
    const seconds = Math.max(0, acknowledgedAtMs - timestampMs) / 1000;
    let bucket = 0;
    while (bucket < BUCKET_BOUNDS_SECONDS.length && seconds > (BUCKET_BOUNDS_SECONDS[bucket] as number))
      bucket += 1;
    bucketCounts[bucket] = (bucketCounts[bucket] ?? 0) + 1;
    series.sumSeconds += seconds;
  }
  series.count += records.length;
}

function clearCounts(series: Series): void {
  series.bucketCounts.length = 0;
  for (let bucket = 0; bucket <= BUCKET_BOUNDS_SECONDS.length; bucket += 1) series.bucketCounts.push(0);
  series.sumSeconds = 0;
  series.count = 0;
}
