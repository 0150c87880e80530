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
// - Leaving while a join waits at the coordinator (a killed member's session not yet expired) goes over a
//   connection of its own too (group-leave.ts), so that a stop does not wait for the join.
import { debuglog } from 'node:util';
import {
  type BaseOptions,
  Consumer,
  type ConsumerGroupJoinPayload,
  type GroupPartitionsAssignments,
} from '@platformatic/kafka';
import type { ClusterConfig } from '../../config/types.js';
import { SLOT_COUNT } from '../../plan/lanes.js';
import { assignSlots } from '../../plan/slot-assignment.js';
import { baseOptions } from './client-options.js';
import { leaveOverNewConnection } from './group-leave.js';
import { decodeSlotClaim, encodeSlotClaim } from './slot-claims.js';

/** The protocol name lane members agree on: a member of another protocol cannot join the group by mistake. */
export const SLOTS_PROTOCOL = 'georep-slots';
/** The pseudo-topic whose "partitions" are slots in a lane group's assignment. */
export const SLOTS_TOPIC = 'georep-slots';
const HEARTBEAT_INTERVAL_MS = 3000;
const REBALANCE_TIMEOUT_MS = 60_000;
/** The Consumer's own retries of a failed group request: the coordinator moving is routine there. */
const GROUP_RETRIES = 5;
/** What the broker logs as the reason of a LeaveGroup sent while the join waits. */
const LEAVE_REASON = 'georep is stopping while it waits to join';

/** Leaving while a join waits (NODE_DEBUG=georep-lane). */
const trace = debuglog('georep-lane');

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
  readonly #clientOptions: BaseOptions;
  /** What this member holds, and since which generation: what it claims when it joins again. */
  #slots: readonly number[] = [];
  #generation = -1;
  /**
   * Whether a JoinGroup may wait at the coordinator: from join() or a rebalance the library answers by joining
   * again, until the assignment (or a failed join).
   */
  #joining = false;

  constructor(config: ClusterConfig, options: LaneMembershipOptions, events: LaneMembershipEvents) {
    this.#options = options;
    this.#clientOptions = baseOptions(config, 'source');
    this.#consumer = new Consumer({
      ...this.#clientOptions,
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
    this.#consumer.on('consumer:group:rebalance', () => {
      this.#joining = true;
      events.onRebalancing();
    });
    this.#consumer.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => {
      this.#joining = false;
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
    this.#joining = true;
    try {
      await this.#consumer.joinGroup({
        heartbeatInterval: HEARTBEAT_INTERVAL_MS,
        rebalanceTimeout: REBALANCE_TIMEOUT_MS,
        ...(this.#options.sessionTimeoutMs === undefined
          ? {}
          : { sessionTimeout: this.#options.sessionTimeoutMs }),
      });
    } catch (error) {
      this.#joining = false;
      throw error;
    }
  }

  /**
   * Leaves the group, so that its slots move to the other members at once, and closes the consumer's connections.
   * While a join waits and the broker gave this member its id already (the first JoinGroup of a member only asks
   * for one), a LeaveGroup goes over a connection of its own too, which ends the wait (group-leave.ts).
   */
  async leave(): Promise<void> {
    const consumer = this.#consumer;
    const waitingMemberId = this.#joining ? consumer.memberId : null;
    // (leaveGroup's callback form: its typings resolve a call without a callback to the one returning void)
    const left = new Promise<void>((done) => consumer.leaveGroup(false, () => done()));
    if (waitingMemberId) {
      const startedMs = Date.now();
      await leaveOverNewConnection(consumer, waitingMemberId, this.#clientOptions, LEAVE_REASON).then(
        () => trace('%s: left while joining, in %d ms', consumer.groupId, Date.now() - startedMs),
        // The library's own LeaveGroup follows the join: the member leaves, only later.
        (error: unknown) => trace('%s: could not leave while joining: %s', consumer.groupId, error),
      );
    }
    await left;
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
