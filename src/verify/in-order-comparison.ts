// The comparison rule of `georep verify`, as plain code over records handed in (docs/verify.md):
// the origin's records and the destination's are paired in order, the n-th record the origin serves
// (read_committed: no aborted records, no markers) with the n-th record of the destination's range, whatever
// their offsets. Offsets are not compared: compaction, aborted transactions and transaction markers leave gaps
// on one side that the other does not have.
//
// Records come in windows (whatever one fetch of each side brought); each window is compared by digest first,
// and only a window whose digests differ is searched for its first differing pair. Nothing is kept of a window
// once it is compared, so memory is bounded by what the caller buffers.
import { createHash } from 'node:crypto';
import type { ConsumedRecord } from '../kafka/port.js';
import { differingFields, type RecordField, updateDigest, windowDigest } from './record-digest.js';

/** The first pair that is not the same record; one side null when the other has a record too many. */
export interface RecordMismatch {
  readonly originOffset: bigint | null;
  readonly destinationOffset: bigint | null;
  /** Empty when one side has no record at that place. */
  readonly fields: readonly RecordField[];
}

export type PartitionVerdict =
  /** Every record of the destination's range is the origin's, in order, and the origin has no more. */
  | { readonly kind: 'match'; readonly records: number; readonly digest: string }
  /** The destination's range matches the origin's first records; the origin has more, from `nextOriginOffset`. */
  | {
      readonly kind: 'behind';
      readonly records: number;
      readonly nextOriginOffset: bigint;
      /** Offsets between nextOriginOffset and the origin's end (as georep's lag metric counts). */
      readonly lag: bigint;
    }
  /** `records` pairs matched, then this one did not. */
  | { readonly kind: 'differs'; readonly records: number; readonly mismatch: RecordMismatch };

export class InOrderComparison {
  #origin: ConsumedRecord[] = [];
  #destination: ConsumedRecord[] = [];
  #matched = 0;
  #mismatch: RecordMismatch | null = null;
  readonly #digest = createHash('sha256');

  // concat, not push(...records): one fetch of small records can be more than a call takes arguments.
  addOrigin(records: readonly ConsumedRecord[]): void {
    this.#origin = this.#origin.concat(records);
  }

  addDestination(records: readonly ConsumedRecord[]): void {
    this.#destination = this.#destination.concat(records);
  }

  get originBuffered(): number {
    return this.#origin.length;
  }

  get destinationBuffered(): number {
    return this.#destination.length;
  }

  get mismatch(): RecordMismatch | null {
    return this.#mismatch;
  }

  /** Compares as many pairs as both sides hold, as one window; returns the first mismatch, if any. */
  compareBuffered(): RecordMismatch | null {
    if (this.#mismatch !== null) return this.#mismatch;
    const count = Math.min(this.#origin.length, this.#destination.length);
    if (count === 0) return null;
    const origin = this.#origin.slice(0, count);
    const destination = this.#destination.slice(0, count);
    if (windowDigest(origin) !== windowDigest(destination)) {
      const index = origin.findIndex((record, at) => differingFields(record, destination[at]!).length > 0);
      this.#matched += index;
      this.#mismatch = {
        originOffset: origin[index]!.offset,
        destinationOffset: destination[index]!.offset,
        fields: differingFields(origin[index]!, destination[index]!),
      };
      return this.#mismatch;
    }
    for (const record of origin) updateDigest(this.#digest, record);
    this.#matched += count;
    this.#origin = this.#origin.slice(count);
    this.#destination = this.#destination.slice(count);
    return null;
  }

  /**
   * The verdict once reading stopped: `originExhausted`/`destinationExhausted` say whether a side's range was
   * read to its end; `originEnd` is the origin's end offset at the check (for the lag).
   */
  verdict(sides: {
    readonly originExhausted: boolean;
    readonly destinationExhausted: boolean;
    readonly originEnd: bigint;
  }): PartitionVerdict {
    const records = this.#matched;
    if (this.#mismatch !== null) return { kind: 'differs', records, mismatch: this.#mismatch };
    const extra = this.#destination[0];
    const next = this.#origin[0];
    if (extra !== undefined && sides.originExhausted) {
      return {
        kind: 'differs',
        records,
        mismatch: { originOffset: null, destinationOffset: extra.offset, fields: [] },
      };
    }
    if (next !== undefined && sides.destinationExhausted) {
      return { kind: 'behind', records, nextOriginOffset: next.offset, lag: sides.originEnd - next.offset };
    }
    if (extra !== undefined || next !== undefined || !sides.originExhausted || !sides.destinationExhausted) {
      throw new Error('verdict asked for before one side was read to its end with the other holding records');
    }
    return { kind: 'match', records, digest: this.#digest.copy().digest('hex') };
  }
}
