// How much a source fetches next, so that reading overlaps writing across a long round trip to the origin and
// memory stays bounded. Pure code: the fetch loop tells it what its fetches took and brought.
//
// - The budget counts what a source holds (the batches as received, plus what compressed ones decoded to) and
//   what its requests in flight may bring. On a near link it is `baseBytes` (two fetches: one read ahead of the
//   one being written). Across a round trip `T` the next answer comes T after its request left, so reading keeps
//   up with writing only if about T's worth of writing is in flight: the budget grows by `bytesPerRoundTripSecond`
//   × (T - `nearRoundTripMs`), up to `maxBytes`.
// - A fetch's maxBytes counts the batches as the broker sends them, compressed. A zstd topic of JSON decodes to
//   about six times its size, so a request asks for the room left divided by what each byte received became in
//   the last answers (before the first, `firstHeldPerReceivedByte`): a compressed flow then holds its budget
//   instead of several.
// - The round trip is the shortest of the last ROUND_TRIP_SAMPLES fetches the broker could answer at once (their
//   partitions had records to read when they left); a fetch the broker held until records came measures waiting,
//   not the link. Without such a sample (an idle flow, or one just started) the budget is the base.

export interface FetchBudgetLimits {
  /** One request's batches as sent, at most. */
  readonly maxBytesPerFetch: number;
  /** One partition's share of a request, at most (a larger batch still comes alone). */
  readonly maxBytesPerPartition: number;
  /** Held and in flight on a near link. */
  readonly baseBytes: number;
  /** What the budget grows by per second of round trip to the origin beyond nearRoundTripMs. */
  readonly bytesPerRoundTripSecond: number;
  /**
   * Round trips up to this long keep the base budget: a near link, whose measure is mostly the process's own
   * delays (parsing the answer counts in it).
   */
  readonly nearRoundTripMs: number;
  /** Held and in flight, at most, however long the round trip. */
  readonly maxBytes: number;
  /** What each byte received is taken to become (decoded) until an answer that brought bytes told. */
  readonly firstHeldPerReceivedByte: number;
}

export interface FetchSize {
  /** The request's maxBytes, in bytes as sent. */
  readonly maxBytes: number;
  readonly maxBytesPerPartition: number;
  /** What the answer is expected to hold, reserved until it comes. */
  readonly reservedBytes: number;
}

/** A request takes at most this share of the budget: one answer in the handler, the next on its way. */
const BUFFERED_REQUESTS = 2;
/**
 * A share group's request leaves only with this much of its share left: a share may be smaller than a partition's
 * limit (many groups), and a request for it is sized down instead.
 */
const MIN_SHARE_ROOM_BYTES = 64 * 1024;
/** Fetches answered at once whose shortest time is the round trip. */
const ROUND_TRIP_SAMPLES = 8;

export class FetchBudget {
  readonly #limits: FetchBudgetLimits;
  readonly #roundTripsMs: number[] = [];
  /** Bytes held per byte received, in the last answer that brought any. */
  #heldPerReceivedByte: number;

  constructor(limits: FetchBudgetLimits) {
    this.#limits = limits;
    this.#heldPerReceivedByte = limits.firstHeldPerReceivedByte;
  }

  /** Held and in flight, at most, at the round trip measured so far. */
  get bufferedBytes(): number {
    const { baseBytes, bytesPerRoundTripSecond, nearRoundTripMs, maxBytes } = this.#limits;
    if (this.#roundTripsMs.length === 0) return baseBytes;
    const beyondNearMs = Math.max(0, Math.min(...this.#roundTripsMs) - nearRoundTripMs);
    return Math.min(maxBytes, baseBytes + (bytesPerRoundTripSecond * beyondNearMs) / 1000);
  }

  /**
   * The next request's size while `usedBytes` are held or reserved; null while too little room is left. At most
   * half the budget: the answer to one request is written while the next is on its way.
   */
  next(usedBytes: number): FetchSize | null {
    const bufferedBytes = this.bufferedBytes;
    const room = bufferedBytes - usedBytes;
    if (room < this.#limits.maxBytesPerPartition) return null;
    return this.#sized(Math.min(room, bufferedBytes / BUFFERED_REQUESTS));
  }

  /**
   * The next request's size for a share group with `roomBytes` left of its share of the budget (fetch-shares.ts),
   * asked when the budget as a whole has no room; null while less than MIN_SHARE_ROOM_BYTES (or a partition's
   * limit, if smaller) is left.
   */
  within(roomBytes: number): FetchSize | null {
    if (roomBytes < Math.min(MIN_SHARE_ROOM_BYTES, this.#limits.maxBytesPerPartition)) return null;
    return this.#sized(Math.min(roomBytes, this.bufferedBytes / BUFFERED_REQUESTS));
  }

  /** A request whose answer is expected to hold about `heldBytes`. */
  #sized(heldBytes: number): FetchSize {
    const maxBytes = Math.max(
      1,
      Math.floor(Math.min(this.#limits.maxBytesPerFetch, heldBytes / this.#heldPerReceivedByte)),
    );
    return {
      maxBytes,
      maxBytesPerPartition: Math.min(this.#limits.maxBytesPerPartition, maxBytes),
      reservedBytes: Math.ceil(maxBytes * this.#heldPerReceivedByte),
    };
  }

  /**
   * A fetch was answered after `elapsedMs`: `receivedBytes` as sent, `heldBytes` once decoded. `immediate`: the
   * broker had records for it when it left, so it did not wait for new ones.
   */
  answered(answer: {
    readonly elapsedMs: number;
    readonly immediate: boolean;
    readonly receivedBytes: number;
    readonly heldBytes: number;
  }): void {
    if (answer.immediate) {
      this.#roundTripsMs.push(answer.elapsedMs);
      if (this.#roundTripsMs.length > ROUND_TRIP_SAMPLES) this.#roundTripsMs.shift();
    }
    if (answer.receivedBytes > 0) {
      this.#heldPerReceivedByte = Math.max(1, answer.heldBytes / answer.receivedBytes);
    }
  }
}
