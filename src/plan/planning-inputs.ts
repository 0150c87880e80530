// Whether a reconcile would plan from the same inputs as the last one. A discovery round every few seconds over
// 10,000 origin topics computed the desired flows and the plan against 10,000 running ones each time, to find
// nothing to do: when the inputs are those of a round whose plan changed nothing, the plan is known to be
// empty again, since the desired flows are a function of the config, the listings and the credential change
// counts (desired-flows.ts), and the plan a function of those and of the running flows (plan.ts).
import type { Config } from '../config/types.js';
import type { TopicListing } from './desired-flows.js';

export interface PlanningInputs {
  /** The config in force, by identity: a reload makes a new one, even of an unchanged file. */
  readonly config: Config;
  readonly credentialChangeCounts: ReadonlyMap<string, number>;
  /** Per origin, its topics as listed (or as last listed). */
  readonly listings: ReadonlyMap<string, readonly TopicListing[]>;
  /** The running flows' generation (Supervisor.generation): the same while no flow was started, stopped or updated. */
  readonly runningGeneration: number;
}

/** True when `next` is `last` again: the same config object, and the same counts, listings and generation. */
export function samePlanningInputs(last: PlanningInputs | null, next: PlanningInputs): boolean {
  return (
    last !== null &&
    last.config === next.config &&
    last.runningGeneration === next.runningGeneration &&
    sameMap(last.credentialChangeCounts, next.credentialChangeCounts, (a, b) => a === b) &&
    sameMap(last.listings, next.listings, sameListing)
  );
}

function sameMap<T>(
  a: ReadonlyMap<string, T>,
  b: ReadonlyMap<string, T>,
  same: (a: T, b: T) => boolean,
): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) {
    const other = b.get(key);
    if (other === undefined || !same(value, other)) return false;
  }
  return true;
}

/** The same topics with the same partition counts, in the same order (a listing in another order plans again). */
function sameListing(a: readonly TopicListing[], b: readonly TopicListing[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) {
    if (a[index]!.name !== b[index]!.name || a[index]!.partitions !== b[index]!.partitions) return false;
  }
  return true;
}
