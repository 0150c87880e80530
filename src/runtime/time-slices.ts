// Runs a long pure computation (plan/steps.ts) on the event loop in slices: after each step it looks at
// the clock, and once a slice has run `sliceMs` it lets the event loop turn (HTTP requests, the flows'
// fetches and writes, timers) before the next slice. A daemon with 10,000 replications thus answers
// /healthz and keeps copying while it computes what those replications want.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Steps } from '../plan/steps.js';

/** Long enough to do real work per slice, short enough to stay far below the 100 ms a reload may block. */
export const DEFAULT_SLICE_MS = 20;

export interface SliceOptions {
  readonly sliceMs?: number;
  /** A monotonic clock in milliseconds; tests pass their own. */
  readonly nowMs?: () => number;
}

export async function runInSlices<T>(steps: Steps<T>, options: SliceOptions = {}): Promise<T> {
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  const nowMs = options.nowMs ?? (() => performance.now());
  let sliceStartMs = nowMs();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (nowMs() - sliceStartMs >= sliceMs) {
      await nextTurn();
      sliceStartMs = nowMs();
    }
  }
}
