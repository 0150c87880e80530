// Sharing a lane's fetch budget and its handlers out between share groups: the replications whose flows read
// through one lane (the same origin, destination and naming, docs/design-shared-transport.md). A group whose
// flows write slowly, waiting for its replication's maxBytesPerSecond, keeps what it fetched until it is written.
// Shared by all, those batches could fill the lane's budget, or all its handlers, and the other groups' flows
// would not be fetched at all, with no error, until the slow ones caught up.
//
// So once the budget as a whole has no room, a group that holds less than its share (the budget divided by the
// groups) is fetched all the same, up to its share; and once every handler is busy, a group with fewer than its
// share of them gets one all the same. A lane of several groups then holds at most about twice its budget: what
// the groups over their share hold came within the budget, and the others hold at most their shares, their
// requests in flight included. A lane of one group, the usual case, is as before.
import type { FetchBudget, FetchSize } from './fetch-budget.js';
import type { FetchPositions, PartitionState } from './fetch-positions.js';

/** The room left of its share of `budgetBytes` of each group using less than that share, by group. */
export function roomsUnderShare(
  budgetBytes: number,
  usedBytesByGroup: ReadonlyMap<string, number>,
): Map<string, number> {
  const shareBytes = budgetBytes / usedBytesByGroup.size;
  const rooms = new Map<string, number>();
  for (const [group, usedBytes] of usedBytesByGroup)
    if (usedBytes < shareBytes) rooms.set(group, shareBytes - usedBytes);
  return rooms;
}

/** Whether a group with `inHandlers` partitions in handlers has fewer than its share of `handlers`. */
export function underHandlerShare(inHandlers: number, handlers: number, groups: number): boolean {
  return inHandlers < Math.ceil(handlers / Math.max(1, groups));
}

/** A request's size, and the share group it was asked for alone; null: asked for every group. */
export interface SharedFetchSize extends FetchSize {
  readonly shareGroup: string | null;
}

/**
 * What the share groups' requests in flight may bring, by group: counted in what each group uses, so that
 * requests to several brokers do not each take its whole room.
 */
export class ShareReservations {
  readonly #bytes = new Map<string, number>();

  add(size: SharedFetchSize): void {
    if (size.shareGroup === null) return;
    this.#bytes.set(size.shareGroup, (this.#bytes.get(size.shareGroup) ?? 0) + size.reservedBytes);
  }

  remove(size: SharedFetchSize): void {
    if (size.shareGroup === null) return;
    const left = (this.#bytes.get(size.shareGroup) ?? 0) - size.reservedBytes;
    if (left <= 0) this.#bytes.delete(size.shareGroup);
    else this.#bytes.set(size.shareGroup, left);
  }

  /** Held and reserved, by each group with topics in `positions`. */
  usedByGroup(positions: FetchPositions): Map<string, number> {
    const used = positions.heldBytesByGroup();
    for (const [group, bytes] of used) used.set(group, bytes + (this.#bytes.get(group) ?? 0));
    return used;
  }
}

/**
 * Which of `states` (one broker's fetchable partitions) to ask for now, and the request's size: every one while
 * the budget has room for `usedBytes` more; else, in a lane of several groups, those of the group with the most
 * room left under its share, sized to that room (one group per request: another's crumbs of room would shrink
 * it). Null when none may be asked for.
 */
export function sizedRequest(
  budget: FetchBudget,
  positions: FetchPositions,
  usedBytes: number,
  states: readonly PartitionState[],
  reservations: ShareReservations,
): { readonly fetchable: readonly PartitionState[]; readonly size: SharedFetchSize } | null {
  const size = budget.next(usedBytes);
  if (size !== null) return { fetchable: states, size: { ...size, shareGroup: null } };
  if (positions.groupCount < 2) return null;
  const rooms = roomsUnderShare(budget.bufferedBytes, reservations.usedByGroup(positions));
  let shareGroup: string | null = null;
  let roomBytes = 0;
  for (const state of states) {
    const group = positions.groupOf(state.topic);
    const room = rooms.get(group) ?? 0;
    if (room > roomBytes) [shareGroup, roomBytes] = [group, room];
  }
  const shareSize = shareGroup === null ? null : budget.within(roomBytes);
  if (shareSize === null) return null;
  const fetchable = states.filter((state) => positions.groupOf(state.topic) === shareGroup);
  return { fetchable, size: { ...shareSize, shareGroup } };
}
