// The topics of every origin, listed once per reconcile. An origin that cannot be listed keeps its last
// listing, so that a network blip never stops flows; it is named in the outcome so that nothing takes a
// topic missing from that old listing for a deleted one.
import type { Config } from '../config/types.js';
import type { KafkaAdmin } from '../kafka/port.js';
import type { Logger } from '../observability/logger.js';
import type { TopicListing } from '../plan/desired-flows.js';

export interface OriginNotListed {
  readonly cluster: string;
  readonly error: string;
}

export interface OriginListings {
  /** Per origin: this round's listing, or the last one when it could not be listed (absent if never). */
  readonly listings: Map<string, readonly TopicListing[]>;
  /** The origins that could not be listed this round, with why. */
  readonly notListed: OriginNotListed[];
}

export interface OriginCatalogDependencies {
  /** The admin client of a cluster, or undefined when there is none. */
  readonly admin: (cluster: string) => KafkaAdmin | undefined;
  readonly logger: Logger;
}

export class OriginCatalog {
  readonly #deps: OriginCatalogDependencies;
  readonly #lastListings = new Map<string, readonly TopicListing[]>();

  constructor(deps: OriginCatalogDependencies) {
    this.#deps = deps;
  }

  /** Lists the topics of every origin of the config, all at once. */
  async list(config: Config): Promise<OriginListings> {
    const origins = [...new Set(config.replications.map((replication) => replication.origin))];
    const notListed: OriginNotListed[] = [];
    await Promise.all(
      origins.map(async (origin) => {
        const admin = this.#deps.admin(origin);
        if (admin === undefined) return;
        try {
          const topics = await admin.listTopics();
          this.#lastListings.set(
            origin,
            topics.map((topic) => ({ name: topic.name, partitions: topic.partitionCount })),
          );
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          notListed.push({ cluster: origin, error: message });
          this.#deps.logger.warn(
            { cluster: origin },
            `cannot list the topics of origin ${origin}, keeping its last known topics: ${message}`,
          );
        }
      }),
    );
    const listings = new Map(
      origins.flatMap((origin) => {
        const listing = this.#lastListings.get(origin);
        return listing === undefined ? [] : [[origin, listing] as const];
      }),
    );
    return { listings, notListed };
  }
}
