// What a flow knows of its clusters not answering, as its source and sink report it: the origin's latest
// failure until a fetch is answered again, and the destination's per partition whose write is being retried
// until that write is acknowledged (per partition, so that one partition's success does not hide another's
// failure). Plain data: the flow turns `blocking()` into its `stalled` state.

export type ClusterSide = 'origin' | 'destination';

export interface Blocking {
  readonly side: ClusterSide;
  /** What failed last, e.g. `fetch from broker 1 (10.0.0.5:9092) failed: connect ECONNREFUSED …`. */
  readonly detail: string;
}

export class UnreachableClusters {
  #origin: string | null = null;
  readonly #destinationPartitions = new Map<number, string>();

  originFailed(detail: string): void {
    this.#origin = detail;
  }

  originAnswered(): void {
    this.#origin = null;
  }

  destinationFailed(partition: number, detail: string): void {
    this.#destinationPartitions.set(partition, detail);
  }

  /** True when the partition's write had failed before: its acknowledgement may end a stall. */
  destinationAnswered(partition: number): boolean {
    return this.#destinationPartitions.delete(partition);
  }

  /** A new attempt of the flow starts with a new source: nothing is known yet. */
  clear(): void {
    this.#origin = null;
    this.#destinationPartitions.clear();
  }

  /** What keeps the flow from copying, the origin first; null when both answer. */
  blocking(): Blocking | null {
    if (this.#origin !== null) return { side: 'origin', detail: this.#origin };
    const destination = this.#destinationPartitions.values().next();
    return destination.done === true ? null : { side: 'destination', detail: destination.value };
  }
}
