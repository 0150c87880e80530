// Membership of a lane's consumer group on the origin (docs/design-shared-transport.md): which slots this process
// holds. The library's Consumer does the classic group protocol (join, sync, heartbeats on its own timer,
// rejoining when the group rebalances, leaving); georep gives it its own assignment, of slots, not of topics:
//
// - The member subscribes to no topic. Its JoinGroup metadata carries, as user data, the slots it holds and the
//   generation it got them in (slot-claims.ts), under the protocol name `georep-slots`.
// - The leader's assignment is src/plan/slot-assignment.ts, through the Consumer's `partitionAssigner`. Each
//   member's share travels as the partitions of a pseudo-topic, SLOTS_TOPIC (never created, never fetched:
//   only the assignment's encoding names it).
// - The library computes the assignment itself, without asking the assignor, when the group has one member:
//   all partitions of the subscribed topics, that is none. An assignment without SLOTS_TOPIC is that case (the
//   assignor always names it, even for a member it gives nothing), so it means: every slot.
// - Offsets are committed with the member's generation, so a process that lost its slots cannot overwrite the
//   new owner's progress once the group moved on.
import {
  Consumer,
  type ConsumerGroupJoinPayload,
  type GroupPartitionsAssignments,
} from '@platformatic/kafka';
import type { ClusterConfig } from '../../config/types.js';
import { SLOT_COUNT } from '../../plan/lanes.js';
import { assignSlots } from '../../plan/slot-assignment.js';
import { baseOptions } from './client-options.js';
import { decodeSlotClaim, encodeSlotClaim } from './slot-claims.js';

/** The protocol name lane members agree on: a member of another protocol cannot join the group by mistake. */
export const SLOTS_PROTOCOL = 'georep-slots';
/** The pseudo-topic whose "partitions" are slots in a lane group's assignment. */
export const SLOTS_TOPIC = 'georep-slots';
const HEARTBEAT_INTERVAL_MS = 3000;
const REBALANCE_TIMEOUT_MS = 60_000;
/** The Consumer's own retries of a failed group request: the coordinator moving is routine there. */
const GROUP_RETRIES = 5;

export interface LaneMembershipOptions {
  readonly groupId: string;
  /** A member that sends no heartbeat for this long is removed from the group (the broker's default if absent). */
  readonly sessionTimeoutMs?: number;
}

export interface LaneMembershipEvents {
  /** The group (re)assigned slots: this member's complete set, possibly empty, and the generation. */
  onAssigned(slots: readonly number[], generation: number): void;
  /** The group started rebalancing; onAssigned follows when it is done. */
  onRebalancing(): void;
  /** Membership failed for good (the library gave up rejoining): no slots are held any more. */
  onError(error: unknown): void;
}

export class LaneMembership {
  readonly #consumer: Consumer;
  readonly #options: LaneMembershipOptions;
  /** What this member holds, and since which generation: what it claims when it joins again. */
  #slots: readonly number[] = [];
  #generation = -1;

  constructor(config: ClusterConfig, options: LaneMembershipOptions, events: LaneMembershipEvents) {
    this.#options = options;
    this.#consumer = new Consumer({
      ...baseOptions(config, 'source'),
      retries: GROUP_RETRIES,
      groupId: options.groupId,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeout: options.sessionTimeoutMs }),
      protocols: [{ name: SLOTS_PROTOCOL, version: 0 }],
      protocolsMetadata: () => encodeSlotClaim({ generation: this.#generation, slots: this.#slots }),
      partitionAssigner: (_leader, members) =>
        toLibraryAssignments(
          assignSlots(
            [...members.values()].map((member) => ({
              memberId: member.memberId,
              claim: decodeSlotClaim(member.metadata),
            })),
          ),
        ),
    });
    this.#consumer.on('error', (error: unknown) => events.onError(error));
    this.#consumer.on('consumer:group:rebalance', () => events.onRebalancing());
    this.#consumer.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => {
      const slots = slotsOf(payload);
      this.#slots = slots;
      this.#generation = payload.generationId ?? -1;
      events.onAssigned(slots, this.#generation);
    });
  }

  /**
   * The Consumer that holds the membership: commits (with this member's generation) and offset lookups go
   * through it.
   */
  get consumer(): Consumer {
    return this.#consumer;
  }

  /** Joins the group; resolves once the first assignment arrived (onAssigned has been called). */
  async join(): Promise<void> {
    await this.#consumer.joinGroup({
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      ...(this.#options.sessionTimeoutMs === undefined
        ? {}
        : { sessionTimeout: this.#options.sessionTimeoutMs }),
    });
  }

  /** Leaves the group, so that its slots move to the other members at once, and closes the connections. */
  async leave(): Promise<void> {
    const consumer = this.#consumer;
    // (leaveGroup's callback form: its typings resolve a call without a callback to the one returning void)
    await new Promise<void>((done) => consumer.leaveGroup(false, () => done()));
    await consumer.close().catch(() => undefined);
  }
}

function toLibraryAssignments(assignment: ReadonlyMap<string, number[]>): GroupPartitionsAssignments[] {
  return [...assignment].map(([memberId, slots]) => ({
    memberId,
    assignments: new Map([[SLOTS_TOPIC, { topic: SLOTS_TOPIC, partitions: slots }]]),
  }));
}

/** This member's slots in a join's assignment; every slot when the library assigned a group of one itself. */
function slotsOf(payload: ConsumerGroupJoinPayload): number[] {
  const ours = (payload.assignments ?? []).find((assignment) => assignment.topic === SLOTS_TOPIC);
  if (ours === undefined) return Array.from({ length: SLOT_COUNT }, (_, slot) => slot);
  return [...ours.partitions].sort((a, b) => a - b);
}
