// Verifies flows partition by partition: the effectful part of `georep verify` around comparePartition.
//
// The ranges are taken once per flow, destination first: its end (last stable offset) bounds what counts as
// copied, and since a record reaches the destination only after it was on the origin, every record of the
// destination's range has its origin record below the origin's end read just after. Records georep copies while
// the check runs land past the destination's end and are not read; records in flight (read from the origin,
// not yet acknowledged by the destination) are not in the destination's range: they count as lag, never as a
// difference.
import type { KafkaAdmin, PartitionOffsets, PartitionReader } from '../kafka/port.js';
import type { FlowSpec } from '../plan/flow-spec.js';
import {
  type CompareLimits,
  comparePartition,
  type OffsetRange,
  type PartitionComparison,
} from './compare-partition.js';
import { flowRecordRules } from './flow-records.js';

export interface ClusterReaders {
  readonly admin: KafkaAdmin;
  readonly reader: PartitionReader;
}

export interface PartitionReport {
  readonly flow: string;
  readonly replication: string;
  readonly originTopic: string;
  readonly destinationTopic: string;
  readonly partition: number;
  readonly originRange: OffsetRange | null;
  readonly destinationRange: OffsetRange | null;
  /** null when the partition could not be compared: `problem` says why. */
  readonly comparison: PartitionComparison | null;
  readonly problem: string | null;
}

/** Flows' partitions compared this many at a time: memory is this many times one fetch per side. */
const PARTITIONS_IN_PARALLEL = 4;

export async function verifyFlow(
  flow: FlowSpec,
  origin: ClusterReaders,
  destination: ClusterReaders,
  limits: CompareLimits,
): Promise<PartitionReport[]> {
  const base = {
    flow: flow.key,
    replication: flow.replication,
    originTopic: flow.originTopic,
    destinationTopic: flow.destinationTopic,
  };
  const unreadable = (partition: number, problem: string): PartitionReport => ({
    ...base,
    partition,
    originRange: null,
    destinationRange: null,
    comparison: null,
    problem,
  });
  const partitions = Array.from({ length: flow.partitions }, (_, partition) => partition);
  const rules = flowRecordRules(flow);
  let destinationOffsets: PartitionOffsets[];
  let originOffsets: PartitionOffsets[];
  try {
    destinationOffsets = await destination.admin.partitionOffsets(flow.destinationTopic);
  } catch (error) {
    return partitions.map((p) =>
      unreadable(p, `${flow.destination}/${flow.destinationTopic}: ${messageOf(error)}`),
    );
  }
  try {
    originOffsets = await origin.admin.partitionOffsets(flow.originTopic);
  } catch (error) {
    return partitions.map((p) => unreadable(p, `${flow.origin}/${flow.originTopic}: ${messageOf(error)}`));
  }
  const compareOne = async ({ partition, earliest, latest }: PartitionOffsets): Promise<PartitionReport> => {
    const originRange = { start: earliest, end: latest };
    const onDestination = destinationOffsets.find((offsets) => offsets.partition === partition);
    if (onDestination === undefined) {
      return {
        ...unreadable(
          partition,
          `${flow.destination}/${flow.destinationTopic} has no partition ${partition}`,
        ),
        originRange,
      };
    }
    const destinationRange = { start: onDestination.earliest, end: onDestination.latest };
    try {
      const comparison = await comparePartition(
        partition,
        {
          reader: origin.reader,
          topic: flow.originTopic,
          range: originRange,
          select: rules.expectedFromOrigin,
        },
        {
          reader: destination.reader,
          topic: flow.destinationTopic,
          range: destinationRange,
          select: rules.copiedOnDestination,
        },
        limits,
      );
      return { ...base, partition, originRange, destinationRange, comparison, problem: null };
    } catch (error) {
      return {
        ...base,
        partition,
        originRange,
        destinationRange,
        comparison: null,
        problem: messageOf(error),
      };
    }
  };
  return inParallel(
    [...originOffsets].sort((a, b) => a.partition - b.partition),
    PARTITIONS_IN_PARALLEL,
    compareOne,
  );
}

/** Maps `items` with at most `limit` calls of `map` at a time, keeping their order. */
async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
