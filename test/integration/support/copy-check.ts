// Compares a mirrored partition with its origin the way an operator signing off a copy would: every origin
// record is there, in the origin's order; at-least-once may have written some of them twice, which is
// counted and reported but allowed.

export interface PartitionCopyReport {
  readonly partition: number;
  readonly originRecords: number;
  readonly destinationRecords: number;
  /** Origin values that are nowhere on the destination. */
  readonly missing: readonly string[];
  /** Destination values that are not on the origin partition (wrong partition, or invented). */
  readonly unexpected: readonly string[];
  /**
   * Null when the first copy of every record appears in the origin's order; otherwise where it first
   * differs: the destination's n-th distinct value and what the origin has at that place.
   */
  readonly firstOrderViolation: {
    readonly index: number;
    readonly origin: string | undefined;
    readonly destination: string | undefined;
  } | null;
  /** Records written more than once: destination records minus distinct destination values. */
  readonly duplicates: number;
  /** How often the copy went back to an earlier origin record (each crash-and-resume shows as one). */
  readonly replays: number;
}

/** Compares one partition. `origin` must hold each value once (the test's producer makes them unique). */
export function comparePartitionCopy(
  partition: number,
  origin: readonly string[],
  destination: readonly string[],
): PartitionCopyReport {
  const originIndex = new Map<string, number>();
  origin.forEach((value, index) => {
    if (originIndex.has(value)) throw new Error(`origin partition ${partition} holds ${value} twice`);
    originIndex.set(value, index);
  });
  const seen = new Set<string>();
  const firstCopies: string[] = [];
  const unexpected: string[] = [];
  let replays = 0;
  let previousIndex = -1;
  for (const value of destination) {
    const index = originIndex.get(value);
    if (index === undefined) {
      unexpected.push(value);
      continue;
    }
    if (index <= previousIndex) replays++;
    previousIndex = index;
    if (!seen.has(value)) {
      seen.add(value);
      firstCopies.push(value);
    }
  }
  const missing = origin.filter((value) => !seen.has(value));
  let firstOrderViolation: PartitionCopyReport['firstOrderViolation'] = null;
  const inOriginOrder = origin.filter((value) => seen.has(value));
  const differsAt = firstCopies.findIndex((value, index) => value !== inOriginOrder[index]);
  if (differsAt !== -1) {
    firstOrderViolation = {
      index: differsAt,
      origin: inOriginOrder[differsAt],
      destination: firstCopies[differsAt],
    };
  }
  return {
    partition,
    originRecords: origin.length,
    destinationRecords: destination.length,
    missing,
    unexpected,
    firstOrderViolation,
    duplicates: destination.length - unexpected.length - firstCopies.length,
    replays,
  };
}

export interface TopicCopyReport {
  readonly partitions: readonly PartitionCopyReport[];
  readonly originRecords: number;
  readonly destinationRecords: number;
  readonly missing: number;
  readonly unexpected: number;
  readonly duplicates: number;
  readonly replays: number;
  readonly partitionsOutOfOrder: readonly number[];
}

/** Compares every partition of the origin with the same partition of the destination. */
export function compareTopicCopy(
  origin: ReadonlyMap<number, readonly string[]>,
  destination: ReadonlyMap<number, readonly string[]>,
): TopicCopyReport {
  const partitionNumbers = [...new Set([...origin.keys(), ...destination.keys()])].sort((a, b) => a - b);
  const partitions = partitionNumbers.map((partition) =>
    comparePartitionCopy(partition, origin.get(partition) ?? [], destination.get(partition) ?? []),
  );
  const sum = (pick: (report: PartitionCopyReport) => number) =>
    partitions.reduce((total, report) => total + pick(report), 0);
  return {
    partitions,
    originRecords: sum((r) => r.originRecords),
    destinationRecords: sum((r) => r.destinationRecords),
    missing: sum((r) => r.missing.length),
    unexpected: sum((r) => r.unexpected.length),
    duplicates: sum((r) => r.duplicates),
    replays: sum((r) => r.replays),
    partitionsOutOfOrder: partitions.filter((r) => r.firstOrderViolation !== null).map((r) => r.partition),
  };
}

/** Long values (padded records) are cut in messages: the start identifies them. */
function shortened(value: string | undefined): string {
  if (value === undefined) return '(none)';
  return value.length > 24 ? `${value.slice(0, 24)}…` : value;
}

/** A few lines an operator can read: what is missing or misplaced, per partition. */
export function describeCopyProblems(report: TopicCopyReport): string {
  return report.partitions
    .filter((r) => r.missing.length > 0 || r.unexpected.length > 0 || r.firstOrderViolation !== null)
    .map((r) => {
      const parts = [
        `partition ${r.partition}: ${r.originRecords} on origin, ${r.destinationRecords} on destination`,
      ];
      if (r.missing.length > 0)
        parts.push(`${r.missing.length} missing (first: ${r.missing.slice(0, 5).map(shortened).join(', ')})`);
      if (r.unexpected.length > 0)
        parts.push(
          `${r.unexpected.length} not from this origin partition (first: ${r.unexpected.slice(0, 5).map(shortened).join(', ')})`,
        );
      if (r.firstOrderViolation !== null)
        parts.push(
          `out of order at distinct record ${r.firstOrderViolation.index}: ${shortened(r.firstOrderViolation.destination)} where the origin has ${shortened(r.firstOrderViolation.origin)}`,
        );
      return parts.join('; ');
    })
    .join('\n');
}
