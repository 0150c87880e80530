// The sticky slot assignment a lane group's leader computes (docs/design-shared-transport.md): from the members
// of the new generation and the slots each says it held, the slots each gets now. Pure and deterministic, so
// whichever process Kafka makes the leader computes the same answer.
//
// - Every slot goes to exactly one member; shares differ by at most one slot.
// - A member keeps what it held, up to its share: only the slots of members that left, and a fair share for
//   members that joined, move.
// - A claim is trusted only if no member claims the slot for a later generation, and no other member for the
//   same one (two claims of one generation mean someone's view is stale: the slot moves as if unowned).
// - Slots nobody holds are dealt out in turn, in slot order: a topic's consecutive partitions (consecutive
//   slots) spread over the members.
import { SLOT_COUNT } from './lanes.js';

/** What a member says it held when it joined: nothing on its first join. */
export interface SlotClaim {
  /** The group generation in which it was given these slots. */
  readonly generation: number;
  readonly slots: readonly number[];
}

export interface GroupMember {
  readonly memberId: string;
  readonly claim: SlotClaim | null;
}

/** Each member's slots, ascending, by member id; every member is present, possibly with none. */
export function assignSlots(
  members: readonly GroupMember[],
  slotCount: number = SLOT_COUNT,
): Map<string, number[]> {
  const ids = members.map((member) => member.memberId).sort();
  const assigned = new Map<string, number[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return assigned;
  const owners = trustedOwners(members, slotCount);
  const owned = new Map<string, number[]>(ids.map((id) => [id, []]));
  for (let slot = 0; slot < slotCount; slot++) {
    const owner = owners.get(slot);
    if (owner !== undefined) owned.get(owner)!.push(slot);
  }
  const shares = sharesOf(ids, owned, slotCount);
  const free: number[] = [];
  for (const id of ids) {
    const held = owned.get(id)!;
    const { kept, released } = keepEvenly(held, shares.get(id)!);
    assigned.set(id, kept);
    free.push(...released);
  }
  for (let slot = 0; slot < slotCount; slot++) if (!owners.has(slot)) free.push(slot);
  free.sort((a, b) => a - b);
  dealInTurn(free, ids, assigned, shares);
  for (const slots of assigned.values()) slots.sort((a, b) => a - b);
  return assigned;
}

/** The member whose claim on each slot is trusted: the only claim of the latest generation claiming it. */
function trustedOwners(members: readonly GroupMember[], slotCount: number): Map<number, string> {
  const latest = new Map<number, { generation: number; memberIds: string[] }>();
  for (const { memberId, claim } of members) {
    if (claim === null) continue;
    for (const slot of new Set(claim.slots)) {
      if (!Number.isInteger(slot) || slot < 0 || slot >= slotCount) continue;
      const seen = latest.get(slot);
      if (seen === undefined || claim.generation > seen.generation) {
        latest.set(slot, { generation: claim.generation, memberIds: [memberId] });
      } else if (claim.generation === seen.generation) {
        seen.memberIds.push(memberId);
      }
    }
  }
  const owners = new Map<number, string>();
  for (const [slot, { memberIds }] of latest) if (memberIds.length === 1) owners.set(slot, memberIds[0]!);
  return owners;
}

/**
 * How many slots each member gets: all get floor(slots / members), and the `slots mod members` that hold the
 * most now get one more (fewest moves), ties by member id.
 */
function sharesOf(
  ids: readonly string[],
  owned: ReadonlyMap<string, readonly number[]>,
  slotCount: number,
): Map<string, number> {
  const base = Math.floor(slotCount / ids.length);
  const extra = slotCount % ids.length;
  const byHoldings = [...ids].sort(
    (a, b) => owned.get(b)!.length - owned.get(a)!.length || (a < b ? -1 : a > b ? 1 : 0),
  );
  return new Map(byHoldings.map((id, index) => [id, base + (index < extra ? 1 : 0)]));
}

/**
 * Keeps `share` of `held` (ascending) and releases the rest, spread evenly over the held range rather than
 * its tail, so that what stays and what moves both keep a mix of every topic's partitions.
 */
function keepEvenly(held: readonly number[], share: number): { kept: number[]; released: number[] } {
  const releaseCount = held.length - share;
  if (releaseCount <= 0) return { kept: [...held], released: [] };
  const releasedIndexes = new Set<number>();
  for (let index = 0; index < releaseCount; index++) {
    releasedIndexes.add(Math.floor(((index + 0.5) * held.length) / releaseCount));
  }
  const kept: number[] = [];
  const released: number[] = [];
  held.forEach((slot, index) => {
    (releasedIndexes.has(index) ? released : kept).push(slot);
  });
  return { kept, released };
}

/** Gives `free` slots out one at a time, to the members below their share in id order, round and round. */
function dealInTurn(
  free: readonly number[],
  ids: readonly string[],
  assigned: Map<string, number[]>,
  shares: ReadonlyMap<string, number>,
): void {
  let turn = 0;
  for (const slot of free) {
    for (let tries = 0; tries < ids.length; tries++) {
      const id = ids[turn++ % ids.length]!;
      const slots = assigned.get(id)!;
      if (slots.length < shares.get(id)!) {
        slots.push(slot);
        break;
      }
    }
  }
}
