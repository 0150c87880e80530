// Which origin topics were deleted or re-created, from a plan and the origins' listings: plain data in, plain
// data out. A deletion is only suspected here (a listing can miss a topic); the daemon asks the origin once
// more before it acts on one (deleted-origin-topics.ts).
import type { TopicListing } from './desired-flows.js';

/** The origin topic a flow reads. */
export interface OriginTopicOf {
  readonly origin: string;
  readonly originTopic: string;
}

/** `origin/topic`: the key under which a deleted origin topic is remembered. */
export function originTopicKey(flow: OriginTopicOf): string {
  return `${flow.origin}/${flow.originTopic}`;
}

/**
 * The stopping flows whose origin topic is gone: their origin was listed this round (`notListedOrigins` were
 * not; they keep their last listing) and the listing does not hold the topic.
 */
export function flowsOfDeletedOriginTopics<Flow extends OriginTopicOf>(
  stopping: readonly Flow[],
  listings: ReadonlyMap<string, readonly TopicListing[]>,
  notListedOrigins: ReadonlySet<string>,
): Flow[] {
  return stopping.filter((flow) => {
    if (notListedOrigins.has(flow.origin)) return false;
    const listing = listings.get(flow.origin);
    return listing !== undefined && !listing.some((topic) => topic.name === flow.originTopic);
  });
}

/**
 * The starting flows whose origin topic was seen deleted (`deletedAtMs`, by originTopicKey): the topic was
 * re-created. Each topic is named once, with its first flow, however many destinations copy it.
 */
export function recreatedOriginTopics<Flow extends OriginTopicOf>(
  starting: readonly Flow[],
  deletedAtMs: ReadonlyMap<string, number>,
): { readonly flow: Flow; readonly deletedAtMs: number }[] {
  const seen = new Set<string>();
  return starting.flatMap((flow) => {
    const key = originTopicKey(flow);
    const atMs = deletedAtMs.get(key);
    if (atMs === undefined || seen.has(key)) return [];
    seen.add(key);
    return [{ flow, deletedAtMs: atMs }];
  });
}
