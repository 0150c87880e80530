// Reads one partition on both clusters and compares it (./in-order-comparison.ts), in full or in sampled
// windows. Reading goes through the port's PartitionReader: explicit partition and offsets, read_committed, no
// group. Memory: one fetch per side (at most maxBytesPerRead each, a larger single batch excepted), or one
// sample window per side.
import { createHash } from 'node:crypto';
import type { ConsumedRecord, PartitionReader } from '../kafka/port.js';
import type { RecordSelection } from './flow-records.js';
import { InOrderComparison, type PartitionVerdict } from './in-order-comparison.js';
import { recordBytes, updateDigest } from './record-digest.js';

/** Offsets [start, end) of a partition at the check: its log start and its last stable offset. */
export interface OffsetRange {
  readonly start: bigint;
  readonly end: bigint;
}

export interface PartitionSide {
  readonly reader: PartitionReader;
  readonly topic: string;
  readonly range: OffsetRange;
  /** The records of this side that take part (./flow-records.ts); default all. */
  readonly select?: RecordSelection;
}

export interface CompareLimits {
  readonly maxBytesPerRead: number;
  /** Windows per partition in --sample mode; null compares every record. */
  readonly sampleWindows: number | null;
  readonly sampleWindowRecords: number;
}

export interface PartitionComparison {
  readonly verdict: PartitionVerdict;
  /** True when only sample windows were compared (every one matched). */
  readonly sampled: boolean;
  /** Bytes of the keys, values and headers read on each side (whole fetches, also past a sample window). */
  readonly bytesRead: { readonly origin: number; readonly destination: number };
}

/**
 * One read of a sample window: small, so that a window of a few records does not fetch megabytes around it
 * (a read still returns at least one whole batch).
 */
const SAMPLE_READ_MAX_BYTES = 64 * 1024;
/** Reads that return nothing and do not move on, in a row, before a side is given up on. */
const STALLED_READS = 3;

export async function comparePartition(
  partition: number,
  origin: PartitionSide,
  destination: PartitionSide,
  limits: CompareLimits,
): Promise<PartitionComparison> {
  const bytesRead = { origin: 0, destination: 0 };
  const cursor = (maxBytes: number) => (side: PartitionSide, from: bigint, which: 'origin' | 'destination') =>
    new SideCursor(side, partition, from, maxBytes, (bytes) => {
      bytesRead[which] += bytes;
    });
  if (limits.sampleWindows !== null) {
    const sampled = await compareSampled(
      origin,
      destination,
      limits.sampleWindows,
      limits.sampleWindowRecords,
      cursor(Math.min(limits.maxBytesPerRead, SAMPLE_READ_MAX_BYTES)),
    );
    // A sampled window that differs (or logs that cannot be paired by offset) is compared in full, so that a
    // reported difference is always the exact first one.
    if (sampled !== null) return { verdict: sampled, sampled: true, bytesRead };
  }
  const fullCursor = cursor(limits.maxBytesPerRead);
  const verdict = await compareInFull(
    fullCursor(origin, origin.range.start, 'origin'),
    fullCursor(destination, destination.range.start, 'destination'),
    origin.range.end,
  );
  return { verdict, sampled: false, bytesRead };
}

async function compareInFull(
  origin: SideCursor,
  destination: SideCursor,
  originEnd: bigint,
): Promise<PartitionVerdict> {
  const comparison = new InOrderComparison();
  for (;;) {
    if (comparison.originBuffered === 0 && !origin.exhausted) comparison.addOrigin(await origin.next());
    if (comparison.destinationBuffered === 0 && !destination.exhausted) {
      comparison.addDestination(await destination.next());
    }
    if (comparison.compareBuffered() !== null) break;
    const originDone = origin.exhausted && comparison.originBuffered === 0;
    const destinationDone = destination.exhausted && comparison.destinationBuffered === 0;
    if (originDone && (destinationDone || comparison.destinationBuffered > 0)) break;
    if (destinationDone && comparison.originBuffered > 0) break;
  }
  return comparison.verdict({
    originExhausted: origin.exhausted,
    destinationExhausted: destination.exhausted,
    originEnd,
  });
}

/**
 * `windows` windows of `windowRecords` records, spread evenly over the destination's range, each paired with
 * the origin's records at the same distance from the origin's log start. That pairing holds while both logs
 * are dense (no compaction, no transaction markers, no aborted records); where it does not, a window differs
 * and the caller compares in full. null: compare in full (a window differed, or the range is small).
 */
async function compareSampled(
  origin: PartitionSide,
  destination: PartitionSide,
  windows: number,
  windowRecords: number,
  cursor: (side: PartitionSide, from: bigint, which: 'origin' | 'destination') => SideCursor,
): Promise<PartitionVerdict | null> {
  const originSpan = origin.range.end - origin.range.start;
  const destinationSpan = destination.range.end - destination.range.start;
  if (destinationSpan > originSpan || destinationSpan <= BigInt(windows * windowRecords)) return null;
  const digest = createHash('sha256');
  let records = 0;
  for (const at of sampleWindowStarts(destinationSpan, windows, windowRecords)) {
    const originRecords = await cursor(origin, origin.range.start + at, 'origin').take(windowRecords);
    const destinationRecords = await cursor(destination, destination.range.start + at, 'destination').take(
      windowRecords,
    );
    const comparison = new InOrderComparison();
    comparison.addOrigin(originRecords);
    comparison.addDestination(destinationRecords);
    if (originRecords.length !== destinationRecords.length || comparison.compareBuffered() !== null)
      return null;
    for (const record of originRecords) updateDigest(digest, record);
    records += originRecords.length;
  }
  const copiedEnd = origin.range.start + destinationSpan;
  if (copiedEnd < origin.range.end) {
    return { kind: 'behind', records, nextOriginOffset: copiedEnd, lag: origin.range.end - copiedEnd };
  }
  return { kind: 'match', records, digest: digest.digest('hex') };
}

/**
 * Where each of `windows` windows of `windowRecords` offsets starts, as distances from the log start, spread
 * evenly over `span` offsets: the first at 0, the last ending at the end of the span.
 */
export function sampleWindowStarts(span: bigint, windows: number, windowRecords: number): bigint[] {
  const room = span - BigInt(windowRecords);
  if (room <= 0n || windows <= 1) return [0n];
  const last = BigInt(windows - 1);
  return Array.from({ length: windows }, (_, index) => (room * BigInt(index)) / last);
}

/** A position in one side's partition that moves forward by reads, up to the range's end. */
class SideCursor {
  readonly #side: PartitionSide;
  readonly #partition: number;
  readonly #maxBytes: number;
  readonly #onBytes: (bytes: number) => void;
  #position: bigint;
  #stalled = 0;

  constructor(
    side: PartitionSide,
    partition: number,
    from: bigint,
    maxBytes: number,
    onBytes: (bytes: number) => void,
  ) {
    this.#side = side;
    this.#partition = partition;
    this.#position = from;
    this.#maxBytes = maxBytes;
    this.#onBytes = onBytes;
  }

  get exhausted(): boolean {
    return this.#position >= this.#side.range.end;
  }

  /** The selected records of the next read below the range's end; possibly none (markers, aborted records). */
  async next(): Promise<readonly ConsumedRecord[]> {
    const { reader, topic, range, select } = this.#side;
    const read = await reader.read(topic, this.#partition, this.#position, this.#maxBytes);
    const records = read.records.filter(
      (record) => record.offset >= this.#position && record.offset < range.end,
    );
    for (const record of records) this.#onBytes(recordBytes(record));
    if (read.nextOffset <= this.#position && records.length === 0) {
      this.#stalled += 1;
      if (this.#stalled >= STALLED_READS) {
        throw new Error(
          `${topic}[${this.#partition}]: no records served at offset ${this.#position}, below the end ${range.end}`,
        );
      }
      return [];
    }
    this.#stalled = 0;
    this.#position =
      read.nextOffset > this.#position ? read.nextOffset : (records.at(-1)?.offset ?? this.#position) + 1n;
    return select === undefined ? records : select(records);
  }

  /** Up to `count` records from the position (fewer at the range's end). */
  async take(count: number): Promise<ConsumedRecord[]> {
    let taken: ConsumedRecord[] = [];
    while (taken.length < count && !this.exhausted) taken = taken.concat(await this.next());
    return taken.slice(0, count);
  }
}
