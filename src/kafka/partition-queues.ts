// What every sink promises about concurrency: writes to one topic-partition run one after another, in the
// order they were asked for; writes to different partitions run at the same time.

export class PartitionQueues {
  /** The last task queued per topic-partition, settled either way; each task waits for the one before it. */
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` once every task queued before it for the same partition has settled (succeeded or failed). */
  run<Result>(topic: string, partition: number, task: () => Promise<Result>): Promise<Result> {
    const key = `${topic}\u0000${partition}`;
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail: Promise<void> = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Settles once every task queued so far has. */
  async settled(): Promise<void> {
    await Promise.all(this.#tails.values());
  }
}

/** The lane (of `laneCount`) of a topic-partition: always the same one, spread over the lanes for many topics. */
export function laneOf(topic: string, partition: number, laneCount: number): number {
  let hash = partition;
  for (let index = 0; index < topic.length; index++) hash = (hash * 31 + topic.charCodeAt(index)) | 0;
  return (hash >>> 0) % laneCount;
}
