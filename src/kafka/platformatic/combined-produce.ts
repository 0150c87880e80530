// Produce requests that carry the batches of several partitions, when a connection is busy. A batch goes at
// once while fewer than MAX_REQUESTS_IN_FLIGHT requests are out on its connection (several partitions' batches,
// or several of one partition's, sent in sequence order: the sink's pipelined writes).
// Beyond that, batches wait here and leave together, as one request, when an answer frees a place: as Kafka's
// own producer drains every ready partition of a broker into one request. A lane writing thousands of
// partitions at once (a start, a catch-up) then sends a few large requests instead of one per partition, each
// of which costs the broker a round of its own, and the library's queue of a connection never holds more than
// these few (it fails what it holds recursively when the connection closes: admin-requests.ts). Each batch
// still gets its own partition's answer: its offset, or its own error.
//
// Tried: combining every batch handed over in one turn of the event loop (the partitions of one fetch answer).
// It was not faster in bench:wan (one round: 70,079 and 89,502 records/s against 84,823 and 114,453 before,
// though rounds of the same code differ by as much), and each partition's next batch waited for the slowest
// of its request, with the broker idle in between.
//
// A request holds at most one batch per partition, all under one transactional id, and at most
// MAX_COMBINED_BYTES of batches unless one batch alone is larger. The five places of a connection are shared by
// every transactional id writing through it: an exactly-once flow's partitions each have their own, so their
// batches never share a request, but they wait here rather than in the library's queue all the same.
import type { Connection } from '@platformatic/kafka';
import { produceV9 } from '@platformatic/kafka';
import { Retriable } from '../errors.js';
import {
  PRODUCE_API_KEY,
  PRODUCE_VERSION,
  type ProduceResponse,
  partitionAnswer,
  produceRequestV9,
} from './produce-request.js';

/** As Kafka's producer (max.in.flight.requests.per.connection) and @platformatic/kafka's connection. */
const MAX_REQUESTS_IN_FLIGHT = 5;
/**
 * As Kafka's producer (max.request.size): far under the broker's socket.request.max.bytes (100 MiB), which closes
 * the connection of a larger request, and so under any limit a broker that takes Java producers has.
 */
const MAX_COMBINED_BYTES = 1024 * 1024;

/** What to write, and where: a transactional producer's id, or null for an idempotent one. */
export interface CombinedTarget {
  readonly topic: string;
  readonly partition: number;
  readonly transactionalId: string | null;
}

/** How a connection's requests move on: what a batch waiting for its answer (or for a place) is waiting behind. */
export interface ConnectionProgress {
  /** When the connection last had an answer (Date.now()); null before its first. */
  readonly lastAnswerAtMs: number | null;
  /** Bytes of the batches in its requests out: what crosses the link before the last of them is answered. */
  readonly bytesOut: number;
}

interface Waiting {
  readonly target: CombinedTarget;
  readonly batch: Buffer;
  readonly resolve: (baseOffset: bigint) => void;
  readonly reject: (error: unknown) => void;
}

/** The batches waiting for a place on one connection, and its requests out. */
interface Queue {
  readonly waiting: Waiting[];
  inFlight: number;
  bytesOut: number;
  lastAnswerAtMs: number | null;
}

export class CombinedProduce {
  readonly #clusterName: string;
  readonly #timeoutMs: number;
  /** Every answer's throttle time (KIP-219), whatever it said of the partitions. */
  readonly #onAnswer: (connection: Connection, throttleTimeMs: number) => void;
  /** By connection: a connection the library replaced drains its queue (failing) and is forgotten. */
  readonly #queues = new WeakMap<Connection, Queue>();

  constructor(
    clusterName: string,
    timeoutMs: number,
    onAnswer: (connection: Connection, throttleTimeMs: number) => void,
  ) {
    this.#clusterName = clusterName;
    this.#timeoutMs = timeoutMs;
    this.#onAnswer = onAnswer;
  }

  /** Writes `batch` to its partition through `connection` (its leader); the offset of its first record. */
  send(connection: Connection, target: CombinedTarget, batch: Buffer): Promise<bigint> {
    return new Promise<bigint>((resolve, reject) => {
      let queue = this.#queues.get(connection);
      if (queue === undefined) {
        queue = { waiting: [], inFlight: 0, bytesOut: 0, lastAnswerAtMs: null };
        this.#queues.set(connection, queue);
      }
      queue.waiting.push({ target, batch, resolve, reject });
      this.#sendWaiting(connection, queue);
    });
  }

  /** How `connection`'s requests move on (the broker answers them in order, one at a time). */
  progress(connection: Connection): ConnectionProgress {
    const queue = this.#queues.get(connection);
    return { lastAnswerAtMs: queue?.lastAnswerAtMs ?? null, bytesOut: queue?.bytesOut ?? 0 };
  }

  #sendWaiting(connection: Connection, queue: Queue): void {
    while (queue.inFlight < MAX_REQUESTS_IN_FLIGHT && queue.waiting.length > 0) {
      const entries = takeRequest(queue.waiting);
      const bytes = entries.reduce((sum, entry) => sum + entry.batch.length, 0);
      queue.inFlight += 1;
      queue.bytesOut += bytes;
      let answered = false;
      const settleOnce = (error: unknown, response: unknown) => {
        if (answered) return; // the library may call back twice when sending failed after the answer
        answered = true;
        queue.inFlight -= 1;
        queue.bytesOut -= bytes;
        if (response !== undefined || answerOf(error) !== undefined) queue.lastAnswerAtMs = Date.now();
        this.#settle(connection, entries, error, response as ProduceResponse | undefined);
        if (queue.waiting.length > 0) this.#sendWaiting(connection, queue);
      };
      try {
        const payload = produceRequestV9(
          entries[0]!.target.transactionalId,
          entries.map(({ target, batch }) => ({ topic: target.topic, partition: target.partition, batch })),
          this.#timeoutMs,
        );
        connection.send(
          PRODUCE_API_KEY,
          PRODUCE_VERSION,
          () => payload,
          produceV9.parseResponse,
          true,
          true,
          settleOnce,
        );
      } catch (error) {
        // Nothing was sent: these batches fail, and the others waiting go on.
        settleOnce(error, undefined);
      }
    }
  }

  #settle(
    connection: Connection,
    entries: readonly Waiting[],
    error: unknown,
    parsed: ProduceResponse | undefined,
  ): void {
    // An answer with errors comes as the library's ResponseError, which holds the whole answer.
    const response = parsed ?? answerOf(error);
    if (response === undefined) {
      for (const entry of entries) entry.reject(error);
      return;
    }
    if (response.throttleTimeMs > 0) this.#onAnswer(connection, response.throttleTimeMs);
    for (const { target, resolve, reject } of entries) {
      const answer = partitionAnswer(response, target.topic, target.partition);
      if (answer === 'missing')
        reject(new Retriable(this.#clusterName, `no answer for ${target.topic}/${target.partition}`));
      else if ('error' in answer) reject(answer.error);
      else resolve(answer.baseOffset);
    }
  }
}

/**
 * Takes the next request's batches out of `waiting`: those of the first one's transactional id, in order, up to
 * MAX_COMBINED_BYTES (at least one batch) and up to a second batch of a partition already in it, which waits
 * for the next request. The batches of other transactional ids keep their order for later requests.
 */
function takeRequest(waiting: Waiting[]): Waiting[] {
  const { transactionalId } = waiting[0]!.target;
  const partitions = new Set<string>();
  const taken = new Set<Waiting>();
  let bytes = 0;
  for (const entry of waiting) {
    const { target, batch } = entry;
    if (target.transactionalId !== transactionalId) continue;
    const key = `${target.topic}\u0000${target.partition}`;
    if (taken.size > 0 && (partitions.has(key) || bytes + batch.length > MAX_COMBINED_BYTES)) break;
    partitions.add(key);
    bytes += batch.length;
    taken.add(entry);
  }
  let kept = 0;
  for (const entry of waiting) if (!taken.has(entry)) waiting[kept++] = entry;
  waiting.length = kept;
  return [...taken];
}

function answerOf(error: unknown): ProduceResponse | undefined {
  const response = (error as { response?: unknown } | null)?.response;
  return typeof response === 'object' && response !== null && 'responses' in response
    ? (response as ProduceResponse)
    : undefined;
}
