// Topics the config asks for that are not mirrored: flows the desired state rejected (a loop, a conflict) and
// topics named in an include that their origin does not list. Each reconcile sees them all again; the log
// gets a warning only for one that was not there the round before, so that a discovery timer does not repeat
// the same lines forever. /status shows the rejected flows in force.
import type { Logger } from '../observability/logger.js';
import type { RejectedFlow } from '../plan/flow-spec.js';
import type { Steps } from '../plan/steps.js';
import { describeUnlisted, type UnlistedTopic } from '../plan/unlisted-topics.js';

export class UnmirroredTopicWarnings {
  readonly #logger: Logger;
  #rejected: readonly RejectedFlow[] = [];
  #unlisted: readonly UnlistedTopic[] = [];

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** The flows rejected at the last reconcile. */
  get rejected(): readonly RejectedFlow[] {
    return this.#rejected;
  }

  reportRejected(rejected: readonly RejectedFlow[]): void {
    const describe = (r: RejectedFlow) =>
      `${r.origin}/${r.originTopic} -> ${r.destination}/${r.destinationTopic}: ${r.reason}`;
    const before = new Set(this.#rejected.map(describe));
    for (const flow of rejected) {
      if (!before.has(describe(flow)))
        this.#logger.warn({ replication: flow.replication }, `not mirrored: ${describe(flow)}`);
    }
    this.#rejected = rejected;
  }

  /**
   * Warns about each topic named in an include that its origin does not list, until it is listed. In steps: a
   * file of 10,000 replications may name 10,000 topics that do not exist.
   */
  *reportUnlisted(unlisted: readonly UnlistedTopic[]): Steps<void> {
    const reported = new Set(this.#unlisted.map(describeUnlisted));
    for (const topic of unlisted) {
      yield;
      const message = describeUnlisted(topic);
      if (!reported.has(message)) this.#logger.warn({ replication: topic.replication }, message);
    }
    this.#unlisted = unlisted;
  }
}
