// The bounds of a source's fetch loop (fetch-loop.ts), the same for a lane and for a source of one topic: how
// many bytes a request and a partition may bring, how much a source holds on a near link and across a long round
// trip (fetch-budget.ts), how long the broker may hold a fetch, and when a silent broker or failed fetches are
// reported.
import type { RecordSourceOptions } from '../port.js';
import type { FetchLoopLimits } from './fetch-loop.js';

/** One fetch request's records; with BUFFERED_FETCHES it bounds a source's memory (bounded-memory.test.ts). */
export const DEFAULT_MAX_BYTES_PER_FETCH = 10 * 1024 * 1024;
/** One partition's share of a fetch (a larger batch still comes alone): large, as reading waits for writing. */
export const DEFAULT_MAX_BYTES_PER_PARTITION = 4 * 1024 * 1024;
/**
 * Fetched bytes a source holds at most on a near link, in the handler, fetched ahead and asked for, in fetches:
 * two, so the next batches are fetched while the handler writes the current ones.
 */
const BUFFERED_FETCHES = 2;
/**
 * Across a round trip to the origin longer than NEAR_ROUND_TRIP_MS, the budget grows by this much per second
 * of it beyond (fetch-budget.ts): about what a flow writes per second of zstd JSON counted decoded, so that one
 * round trip's worth of writing is in flight while the handler writes what came before. 150 ms adds 60 MiB
 * (the maximum); 50 ms, 10 MiB.
 */
const BUFFERED_BYTES_PER_ROUND_TRIP_SECOND = 500 * 1024 * 1024;
/**
 * Round trips up to this long keep the base budget: what the source measures on loopback includes its own
 * delays (24–37 ms in bounded-memory.test.ts on a loaded machine), and a budget grown by them held more memory
 * than that test allowed (RSS 170 MiB above idle, for 160 then).
 */
const NEAR_ROUND_TRIP_MS = 30;
/** The budget, at most, however long the round trip: in fetches. */
const MAX_BUFFERED_FETCHES = 8;
/**
 * What each byte received is taken to become before the first answer told: zstd or gzip JSON decodes to six or
 * seven times its size, so the first request of a compressed flow, sized as if uncompressed, would bring several
 * budgets at once. An uncompressed flow's first request is a quarter of its size, once.
 */
const FIRST_HELD_PER_RECEIVED_BYTE = 4;
/** How long the broker holds a fetch without new records; bounds how long an idle source takes to stop. */
export const FETCH_MAX_WAIT_MS = 500;
/**
 * …and a fetch that leaves out a partition whose batch waits for the handler: that partition's next records wait
 * for this fetch's answer (500 ms beside idle partitions would be a gap in a busy flow that shares a lane with
 * them). The handler writes a batch in a few milliseconds on a near destination; a batch it left for longer waits
 * on a cap or a slow destination, and the wait grows with it (fetch-requests.ts heldBackMaxWaitMs).
 */
const HELD_BACK_WAIT = { minMs: 25, perHeldMs: 0.25, maxMs: FETCH_MAX_WAIT_MS };
/** Failed fetches in a row (leader moving, …) after which run() rejects with the last error. */
const FETCH_ATTEMPTS = 6;
/** Also how often an origin that does not answer is tried again: fetching resumes this soon after it returns. */
export const FETCH_RETRY_DELAY_MS = 500;
/**
 * A fetch without an answer for FETCH_MAX_WAIT_MS plus this long, plus the time its maxBytes take at
 * FETCH_MIN_TRANSFER_BYTES_PER_SECOND, reports the origin unreachable. A busy but healthy broker answers a fetch
 * within its max wait plus a few milliseconds; 1.5 s of slack covers GC pauses and a loaded machine, and a full
 * answer (10 MiB by default) gets 2 s more for a slow link between regions (docs/outages.md).
 */
const FETCH_SILENCE_SLACK_MS = 1_500;
const FETCH_MIN_TRANSFER_BYTES_PER_SECOND = 5 * 1024 * 1024;

/** The fetch loop's bounds for a reader asking for at most these many bytes (the defaults where not given). */
export function fetchLoopLimits(
  options: Pick<RecordSourceOptions, 'maxBytesPerFetch' | 'maxBytesPerPartition'>,
): FetchLoopLimits {
  const maxBytesPerFetch = options.maxBytesPerFetch ?? DEFAULT_MAX_BYTES_PER_FETCH;
  return {
    budget: {
      maxBytesPerFetch,
      maxBytesPerPartition: Math.min(
        options.maxBytesPerPartition ?? DEFAULT_MAX_BYTES_PER_PARTITION,
        maxBytesPerFetch,
      ),
      baseBytes: BUFFERED_FETCHES * maxBytesPerFetch,
      bytesPerRoundTripSecond: BUFFERED_BYTES_PER_ROUND_TRIP_SECOND,
      nearRoundTripMs: NEAR_ROUND_TRIP_MS,
      firstHeldPerReceivedByte: FIRST_HELD_PER_RECEIVED_BYTE,
      maxBytes: MAX_BUFFERED_FETCHES * maxBytesPerFetch,
    },
    fetchAttempts: FETCH_ATTEMPTS,
    retryDelayMs: FETCH_RETRY_DELAY_MS,
    heldBackWait: HELD_BACK_WAIT,
    silentAfterMs: FETCH_MAX_WAIT_MS + FETCH_SILENCE_SLACK_MS,
    minTransferBytesPerSecond: FETCH_MIN_TRANSFER_BYTES_PER_SECOND,
  };
}
