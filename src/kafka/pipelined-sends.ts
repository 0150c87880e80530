// Requests of one partition sent before the answers to those before them, as Kafka's idempotent producer sends
// up to five (max.in.flight.requests.per.connection). Pure scheduling: what a request is, and how it is sent,
// is the caller's.
//
// Each request is handed to its connection (`dispatch` resolves) before the next is built, so they leave in
// order (and a broker takes them in order when they share a connection). After a failure nothing more is
// dispatched, and the outcome waits for every request still out to be answered or given up before it names the
// first that failed: the caller then goes on from there one request at a time. A request the client gave up
// (no answer in time) may still be processed by the broker: resent with the same producer id and sequence, it
// is stored once.

/** A request handed to its connection, and its answer to come. */
export interface Dispatched<Result> {
  readonly answer: Promise<Result>;
}

export interface PipelineOutcome<Result> {
  /** The answers, in order, of the requests before the first that failed (all of them if none did). */
  readonly results: Result[];
  /** The first request that failed, by index, and why; later ones may have failed too or not been sent. */
  readonly failure?: { readonly index: number; readonly error: unknown };
}

type Settled<Result> =
  | { readonly ok: true; readonly value: Result }
  | { readonly ok: false; readonly error: unknown };

/**
 * Dispatches requests 0 … count-1 in order, each once the one before it was dispatched and fewer than `depth`
 * are unanswered; stops dispatching at the first failure (of a dispatch or an answer), and settles once every
 * request dispatched has been answered.
 */
export async function sendPipelined<Result>(
  count: number,
  depth: number,
  dispatch: (index: number) => Promise<Dispatched<Result>>,
): Promise<PipelineOutcome<Result>> {
  const settled: Promise<Settled<Result>>[] = [];
  let failed = false;
  const settle = (pending: Promise<Result>): Promise<Settled<Result>> =>
    pending.then(
      (value) => ({ ok: true, value }),
      (error: unknown) => {
        failed = true;
        return { ok: false, error };
      },
    );
  for (let index = 0; index < count && !failed; index++) {
    if (index >= depth) await settled[index - depth];
    if (failed) break;
    let dispatched: Dispatched<Result>;
    try {
      dispatched = await dispatch(index);
    } catch (error) {
      settled.push(Promise.resolve({ ok: false, error }));
      failed = true;
      break;
    }
    settled.push(settle(dispatched.answer));
  }
  const outcomes = await Promise.all(settled);
  const results: Result[] = [];
  for (const [index, outcome] of outcomes.entries()) {
    if (!outcome.ok) return { results, failure: { index, error: outcome.error } };
    results.push(outcome.value);
  }
  return { results };
}
