// The write path of one batch: the records the origin gave a flow go to the same partition on the destination,
// within the replication's bandwidth cap, in a transaction with the partition's progress (exactly-once) or as
// plain writes (at-least-once), either tried again in place while the destination does not answer. Once
// written, where each record landed is recorded for offset translation, and the flow's counters, metrics and
// progress move on.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CompressionSetting } from '../config/types.js';
import { ClaimLost, KafkaError } from '../kafka/errors.js';
import type {
  ConsumedBatch,
  RecordSink,
  RecordToWrite,
  TransactionalSink,
  UnreachableListener,
  WrittenRange,
} from '../kafka/port.js';
import type { Metrics } from '../observability/metrics.js';
import { type BandwidthCaps, recordBytes, writeWithinCap } from './bandwidth-caps.js';
import type { FlowIdentity } from './flow-identity.js';
import type { FlowProgress } from './flow-progress.js';
import type { FlowReachability } from './flow-reachability.js';
import type { MirroredTotal } from './flow-status.js';
import type { FlowTopics } from './flow-topics.js';
import { withLoopPrevention } from './loop-prevention.js';
import type { OffsetMapRecorder } from './offset-sync-store.js';

/**
 * How soon a write the sink gave up on is tried again while the destination does not answer: the sink's own
 * retries wait at most 0.5 s after a network failure too, so copying resumes within about that once it answers.
 */
const DESTINATION_RETRY_DELAY_MS = 500;

export interface BatchCopierDependencies {
  readonly identity: FlowIdentity;
  readonly topics: Pick<FlowTopics, 'destinationPartitions' | 'ensureDestinationPartitions' | 'ids'>;
  readonly sink: RecordSink;
  readonly offsetMaps: OffsetMapRecorder;
  readonly metrics: Pick<
    Metrics,
    | 'transactionsCommitted'
    | 'recordsMirrored'
    | 'bytesMirrored'
    | 'destinationBytesWritten'
    | 'destinationBatchesWritten'
  >;
  readonly bandwidthCaps: Pick<BandwidthCaps, 'of'>;
  /** The flow's stop: a batch waiting for the cap before any of it was written gives up at once. */
  readonly stopping: AbortSignal;
  readonly nowMs: () => number;
  readonly mirrored: MirroredTotal;
  readonly progress: FlowProgress;
  readonly reachability: FlowReachability;
  /** Called once a batch is on the destination and counted. */
  readonly onCopied: () => void;
}

export class BatchCopier {
  readonly #deps: BatchCopierDependencies;

  constructor(deps: BatchCopierDependencies) {
    this.#deps = deps;
  }

  async copy(
    batch: ConsumedBatch,
    signal: AbortSignal,
    transactions: TransactionalSink | null,
  ): Promise<void> {
    const { identity, topics, metrics, mirrored } = this.#deps;
    // A partition added on the origin can be assigned before the discovery timer saw it.
    if (batch.partition >= topics.destinationPartitions)
      await topics.ensureDestinationPartitions(batch.partition + 1);
    const records = withLoopPrevention(batch.records, identity.spec);
    const { compression } = identity.spec.restartSettings;
    // Looked up per batch: the cap can change, or the replication be renamed, while the flow runs.
    const cap = this.#deps.bandwidthCaps.of(identity.spec.replication);
    // A stop would otherwise wait its grace period (for writes in flight) for a flow that only waits for the cap.
    const written = await writeWithinCap(
      cap,
      records,
      batch.nextOffset,
      { signal, stopping: this.#deps.stopping },
      async (slice, nextOffset) => {
        // Also when loop prevention dropped every record: the progress must move past them.
        if (transactions !== null) {
          const inTransaction = await this.#commitUntilAcknowledged(
            transactions,
            batch.partition,
            slice,
            nextOffset,
            compression,
            signal,
          );
          metrics.transactionsCommitted.inc(identity.labels);
          return inTransaction;
        }
        if (slice.length === 0) return [];
        return this.#writeUntilAcknowledged(batch.partition, slice, compression, signal);
      },
    );
    // Recorded also when the flow is stopping: the records are on the destination whether or not committed.
    this.#deps.offsetMaps.recordWrite(
      identity.spec.destinationTopic,
      batch.partition,
      records.map((record) => record.offset),
      written,
      batch.nextOffset,
    );
    // What went to the destination counts also when the flow is stopping (its bandwidth cap counted it too):
    // skipped, a write that landed during a restart left the metric below the destination's log.
    const batchBytes = written.reduce((sum, range) => sum + (range.batchBytes ?? 0), 0);
    mirrored.batchBytes += batchBytes;
    metrics.destinationBytesWritten.inc(identity.labels, batchBytes);
    const forwarded = written.filter((range) => range.forwarded === true).length;
    if (forwarded > 0)
      metrics.destinationBatchesWritten.inc({ ...identity.labels, path: 'forwarded' }, forwarded);
    if (written.length > forwarded)
      metrics.destinationBatchesWritten.inc(
        { ...identity.labels, path: 'encoded' },
        written.length - forwarded,
      );
    if (signal.aborted) return;
    identity.latency.observeCopied(records, this.#deps.nowMs());
    const bytes = recordBytes(records);
    mirrored.records += records.length;
    mirrored.bytes += bytes;
    metrics.recordsMirrored.inc(identity.labels, records.length);
    metrics.bytesMirrored.inc(identity.labels, bytes);
    let newestTimestampMs: number | null = null;
    for (const record of batch.records) {
      if (newestTimestampMs === null || record.timestampMs > newestTimestampMs)
        newestTimestampMs = record.timestampMs;
    }
    this.#deps.progress.batchCopied(
      batch.partition,
      batch.nextOffset,
      batch.highWatermark,
      records.length,
      newestTimestampMs,
    );
    this.#deps.onCopied();
  }

  /**
   * Writes to the destination partition; while the destination does not answer, the flow is stalled and tries
   * again every DESTINATION_RETRY_DELAY_MS, keeping its place and its consumer (a restart would read the batch
   * again and rejoin the group for nothing). A retry may write records the failed attempt stored: at-least-once.
   */
  #writeUntilAcknowledged(
    partition: number,
    records: readonly RecordToWrite[],
    compression: CompressionSetting,
    signal: AbortSignal,
  ): Promise<readonly WrittenRange[]> {
    const { identity, sink, topics } = this.#deps;
    return this.#whileDestinationDown(partition, signal, (onUnreachable) =>
      sink.write(identity.spec.destinationTopic, partition, records, {
        compression,
        topicId: topics.ids.destinationTopicId,
        onUnreachable,
      }),
    );
  }

  /**
   * The transaction of one slice, tried again like #writeUntilAcknowledged while the destination does not
   * answer: before a retry the sink claims the partition again and learns whether the failed try committed
   * after all, so nothing is lost or written twice. A lost claim (fenced by another process's claim, progress
   * moved on) is not waited out: it fails the flow, whose next attempt claims its partitions anew.
   */
  #commitUntilAcknowledged(
    transactions: TransactionalSink,
    partition: number,
    records: readonly RecordToWrite[],
    nextOriginOffset: bigint,
    compression: CompressionSetting,
    signal: AbortSignal,
  ): Promise<readonly WrittenRange[]> {
    return this.#whileDestinationDown(
      partition,
      signal,
      (onUnreachable) =>
        transactions.write(partition, records, nextOriginOffset, { compression, onUnreachable }),
      (error) => error instanceof ClaimLost,
    );
  }

  /**
   * Runs `write` until it resolves. While it reports requests unanswered, and after it failed with a retriable
   * error of the destination (unless `refusal` says retrying cannot help), the flow is stalled; a failed write
   * is tried again after DESTINATION_RETRY_DELAY_MS. Once it is acknowledged the partition no longer stalls it.
   */
  async #whileDestinationDown(
    partition: number,
    signal: AbortSignal,
    write: (onUnreachable: UnreachableListener) => Promise<readonly WrittenRange[]>,
    refusal: (error: KafkaError) => boolean = () => false,
  ): Promise<readonly WrittenRange[]> {
    const { identity, reachability } = this.#deps;
    const unreachable = (detail: string) => reachability.destinationFailed(partition, detail);
    for (;;) {
      try {
        const written = await write(unreachable);
        reachability.destinationAnswered(partition);
        return written;
      } catch (error) {
        const destinationDown =
          error instanceof KafkaError &&
          error.retriable &&
          error.cluster === identity.spec.destination &&
          !refusal(error);
        if (!destinationDown || signal.aborted) throw error;
        unreachable(error.message);
        await sleep(DESTINATION_RETRY_DELAY_MS, undefined, { signal });
      }
    }
  }
}
