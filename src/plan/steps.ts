// A long pure computation written as a generator that yields between steps of its work (a replication, a
// batch of topics), so that the caller decides how to run it: all at once (`runToEnd`, the CLI) or in
// time slices between which the event loop serves others (runtime/time-slices.ts, the daemon). The
// computation itself stays pure: it neither knows the time nor the event loop.

/** A computation that yields (nothing) between steps and returns a `T`. */
export type Steps<T> = Generator<void, T, void>;

/** Runs every step at once and returns the result. */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}
