// The latency histogram, one series per replication, origin and destination: shared by the flows of a
// replication into one destination, never one per topic. A histogram costs 17 series (14 buckets, +Inf, sum,
// count), so one per topic made 170,000 of the 230,000 series of 10,000 topics and most of the time /metrics
// took. How far behind each topic is stays in /status (timeLagMs, BEHIND in `georep status`). A series lives
// while a flow in this process holds it: it goes when the last flow of its replication into its destination
// stops or moves to another replication name, so a removed or renamed replication leaves no series behind,
// while a replication that lost one topic keeps its series, counts and all, for the topics it still copies.
import { Histogram, type Registry } from 'prom-client';

const LABELS = ['replication', 'origin', 'destination'] as const;
export type ReplicationLatencyLabels = Record<(typeof LABELS)[number], string>;

/** A flow's hold on its latency series: observe() per record copied, release() once when the flow stops. */
export interface LatencySeries {
  observe(seconds: number): void;
  release(): void;
}

interface SharedSeries {
  readonly series: Histogram.Internal<(typeof LABELS)[number]>;
  holders: number;
}

export class ReplicationLatency {
  readonly #histogram: Histogram<(typeof LABELS)[number]>;
  readonly #shared = new Map<string, SharedSeries>();

  constructor(registry: Registry) {
    this.#histogram = new Histogram({
      name: 'georep_replication_latency_seconds',
      help: "Time from a record's origin timestamp to the destination's acknowledgement of its copy, over the replication's flows into the destination.",
      labelNames: LABELS,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    });
  }

  /** The series of these labels, held until release(): the flow observes each record it copied there. */
  hold({ replication, origin, destination }: ReplicationLatencyLabels): LatencySeries {
    const labels = { replication, origin, destination };
    const key = JSON.stringify([replication, origin, destination]);
    let shared = this.#shared.get(key);
    if (shared === undefined) {
      shared = { series: this.#histogram.labels(labels), holders: 0 };
      this.#shared.set(key, shared);
    }
    shared.holders += 1;
    const held = shared;
    let released = false;
    return {
      observe: (seconds) => held.series.observe(seconds),
      release: () => {
        if (released) return;
        released = true;
        held.holders -= 1;
        if (held.holders > 0) return;
        this.#shared.delete(key);
        this.#histogram.remove(labels);
      },
    };
  }
}
