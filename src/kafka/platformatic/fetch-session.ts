// Incremental fetch sessions (KIP-227), as pure bookkeeping: what a fetch request to one broker names, given the
// session that broker holds for us. The first request names every partition and asks for a session; each later
// one names only the partitions that are new or whose offset (or byte limit) changed, and the ones to drop. The
// broker answers only for partitions with records or news. A lane idling over thousands of partitions then sends
// and receives a few dozen bytes per fetch instead of every partition both ways.

/** One partition as a fetch request names it: its topic (by id, or by name before Fetch v13), offset and limit. */
export interface SessionPartition {
  readonly topicKey: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly maxBytes: number;
}

/** The session a broker holds for us: its id, the epoch the next request carries, and what it holds. */
export interface FetchSession {
  readonly id: number;
  readonly epoch: number;
  readonly partitions: ReadonlyMap<string, SessionPartition>;
  /** The list the session was last asked for: asked for again (the same list), nothing needs comparing. */
  readonly wanted?: readonly SessionPartition[];
}

export interface SessionRequest {
  readonly sessionId: number;
  readonly epoch: number;
  /** The partitions the request names: all of them when it opens a session, else the new and changed ones. */
  readonly partitions: readonly SessionPartition[];
  /** Partitions the session holds that are not wanted now, by topic key: the broker drops them. */
  readonly forget: ReadonlyMap<string, readonly number[]>;
}

/** A request with this epoch names every partition and opens a session (closing `sessionId`'s, if any). */
export const OPENING_EPOCH = 0;
/** Epochs count up from 1 after the opening request, and wrap there after the largest int32. */
const FIRST_EPOCH = 1;
const LAST_EPOCH = 2 ** 31 - 1;

/** One string per topic-partition, for maps: `<partition>:<topic>` (a topic name or id has no colon). */
export function partitionKey(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}

/** The request that fetches `wanted` from a broker holding `session` (none: one that opens a session). */
export function sessionRequest(
  session: FetchSession | undefined,
  wanted: readonly SessionPartition[],
): SessionRequest {
  if (session === undefined)
    return { sessionId: 0, epoch: OPENING_EPOCH, partitions: wanted, forget: new Map() };
  if (session.wanted === wanted)
    return { sessionId: session.id, epoch: session.epoch, partitions: [], forget: new Map() };
  const partitions: SessionPartition[] = [];
  let heldAndWanted = 0;
  for (const entry of wanted) {
    const held = session.partitions.get(partitionKey(entry.topicKey, entry.partition));
    if (held !== undefined) heldAndWanted += 1;
    if (held === undefined || held.offset !== entry.offset || held.maxBytes !== entry.maxBytes)
      partitions.push(entry);
  }
  // Every partition held is wanted again (the usual case, an idle lane's every fetch): nothing to forget, and no
  // set of thousands of keys to build to find that out.
  const forget =
    heldAndWanted === session.partitions.size ? new Map<string, number[]>() : unwanted(session, wanted);
  return { sessionId: session.id, epoch: session.epoch, partitions, forget };
}

/** The partitions `session` holds that are not in `wanted`, by topic key. */
function unwanted(session: FetchSession, wanted: readonly SessionPartition[]): Map<string, number[]> {
  const wantedKeys = new Set(wanted.map((entry) => partitionKey(entry.topicKey, entry.partition)));
  const forget = new Map<string, number[]>();
  for (const [key, { topicKey, partition }] of session.partitions) {
    if (wantedKeys.has(key)) continue;
    const partitionsOfTopic = forget.get(topicKey);
    if (partitionsOfTopic === undefined) forget.set(topicKey, [partition]);
    else partitionsOfTopic.push(partition);
  }
  return forget;
}

/**
 * The session after the broker answered `request` (made from `session`, for `wanted`) with `answeredSessionId`
 * (0: it keeps none, as when its session cache is full; the next request asks again). A request that named and
 * forgot nothing leaves the session holding what it held: the same map, not a copy of thousands of entries.
 */
export function sessionAfter(
  session: FetchSession | undefined,
  request: SessionRequest,
  wanted: readonly SessionPartition[],
  answeredSessionId: number,
): FetchSession | undefined {
  if (answeredSessionId === 0) return undefined;
  const unchanged =
    session !== undefined &&
    request.epoch !== OPENING_EPOCH &&
    request.partitions.length === 0 &&
    request.forget.size === 0;
  const partitions = unchanged
    ? session.partitions
    : new Map(wanted.map((entry) => [partitionKey(entry.topicKey, entry.partition), entry]));
  const epoch =
    request.epoch === OPENING_EPOCH || request.epoch >= LAST_EPOCH ? FIRST_EPOCH : request.epoch + 1;
  return { id: answeredSessionId, epoch, partitions, wanted };
}
