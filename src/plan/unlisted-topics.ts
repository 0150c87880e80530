// Topics a replication names literally in its include list that its origin does not list. Kafka lists only
// the topics georep's principal may Describe, so such a topic either does not exist (yet) or is hidden by the
// ACLs: either way the operator asked for it by name, and silence would hide why nothing is copied. A glob or
// a regular expression cannot be checked this way: a hidden topic looks exactly like no topic. Pure.
import { isNeverMirrored, selectsName } from '../config/patterns.js';
import type { Config, SourcePosition } from '../config/types.js';
import type { TopicListing } from './desired-flows.js';
import { runToEnd, type Steps } from './steps.js';

export interface UnlistedTopic {
  readonly replication: string;
  readonly origin: string;
  readonly topic: string;
  /** Where the include names it. */
  readonly position: SourcePosition;
}

/** Only origins present in `listings` are checked: an origin never listed says nothing about its topics. */
export function unlistedTopics(
  config: Config,
  listings: ReadonlyMap<string, readonly TopicListing[]>,
): UnlistedTopic[] {
  return runToEnd(unlistedTopicSteps(config, listings));
}

/** unlistedTopics in steps (plan/steps.ts), one per replication. */
export function* unlistedTopicSteps(
  config: Config,
  listings: ReadonlyMap<string, readonly TopicListing[]>,
): Steps<UnlistedTopic[]> {
  const unlisted: UnlistedTopic[] = [];
  // One set per origin, not per replication: thousands of replications share a few origins.
  const listedByOrigin = new Map<string, Set<string>>();
  for (const [origin, listing] of listings) {
    listedByOrigin.set(origin, new Set(listing.map((topic) => topic.name)));
  }
  for (const replication of config.replications) {
    yield;
    const listed = listedByOrigin.get(replication.origin);
    if (listed === undefined) continue;
    for (const pattern of replication.topics.include) {
      const topic = pattern.source;
      if (pattern.kind !== 'literal' || listed.has(topic)) continue;
      if (!selectsName(replication.topics, topic) || isNeverMirrored(topic, config.daemon)) continue;
      unlisted.push({
        replication: replication.name,
        origin: replication.origin,
        topic,
        position: pattern.position,
      });
    }
  }
  return unlisted;
}

/** One line for the log: what is missing, where it is named, and the two possible causes. */
export function describeUnlisted(unlisted: UnlistedTopic): string {
  const { file, line, col } = unlisted.position;
  return (
    `topic ${unlisted.topic} (replication ${unlisted.replication}, ${file}:${line}:${col}) is not listed by ` +
    `origin ${unlisted.origin}: it does not exist, or georep's principal has no ACL to Describe it (docs/acls.md)`
  );
}
