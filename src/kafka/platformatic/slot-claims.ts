// What a lane group's member tells the leader when it joins: the slots it held and in which generation it was
// given them (the `user_data` of its ConsumerProtocolSubscription), so that the leader's assignment can be
// sticky (src/plan/slot-assignment.ts). Pure; a member whose data cannot be read is taken as holding nothing.
import { SLOT_COUNT } from '../../plan/lanes.js';
import type { SlotClaim } from '../../plan/slot-assignment.js';

/** Raised if the layout below ever changes; a leader reads only the versions it knows. */
const CLAIM_VERSION = 0;
const BITMAP_BYTES = SLOT_COUNT / 8;
/** version (1 byte), generation (int32), one bit per slot. */
const CLAIM_BYTES = 1 + 4 + BITMAP_BYTES;

export function encodeSlotClaim(claim: SlotClaim): Buffer {
  const buffer = Buffer.alloc(CLAIM_BYTES);
  buffer.writeUInt8(CLAIM_VERSION, 0);
  buffer.writeInt32BE(claim.generation, 1);
  for (const slot of claim.slots) {
    if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) continue;
    buffer[5 + (slot >> 3)]! |= 1 << (slot & 7);
  }
  return buffer;
}

/** The claim in a member's data; null for none, for data of another version, and for data cut short. */
export function decodeSlotClaim(data: Buffer | string | null | undefined): SlotClaim | null {
  if (data === null || data === undefined || typeof data === 'string') return null;
  if (data.length < CLAIM_BYTES || data.readUInt8(0) !== CLAIM_VERSION) return null;
  const slots: number[] = [];
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    if ((data[5 + (slot >> 3)]! & (1 << (slot & 7))) !== 0) slots.push(slot);
  }
  return { generation: data.readInt32BE(1), slots };
}
