// The sticky slot assignment of a lane group: every slot to one member, fair shares, and across rebalances only
// the slots of members that left or a fair share for those that joined move.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SLOT_COUNT, slotOf } from '../../src/plan/lanes.js';
import { assignSlots, type GroupMember } from '../../src/plan/slot-assignment.js';

type Assignment = Map<string, number[]>;

/** The members as they rejoin after `previous` (handed out in `generation`), plus first-time joiners. */
function rejoin(previous: Assignment, generation: number, memberIds: readonly string[]): GroupMember[] {
  return memberIds.map((memberId) => {
    const slots = previous.get(memberId);
    return { memberId, claim: slots === undefined ? null : { generation, slots } };
  });
}

function fresh(...memberIds: string[]): Assignment {
  return assignSlots(memberIds.map((memberId) => ({ memberId, claim: null })));
}

/** Every slot is assigned exactly once, and shares differ by at most one. */
function assertComplete(assignment: Assignment, slotCount = SLOT_COUNT): void {
  const all = [...assignment.values()].flat().sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: slotCount }, (_, slot) => slot),
  );
  const sizes = [...assignment.values()].map((slots) => slots.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `shares: ${sizes.join(', ')}`);
}

/** Slots whose owner differs between two assignments (a slot owned by nobody before counts as moved). */
function movedSlots(before: Assignment, after: Assignment): number[] {
  const ownerBefore = new Map<number, string>();
  for (const [id, slots] of before) for (const slot of slots) ownerBefore.set(slot, id);
  const moved: number[] = [];
  for (const [id, slots] of after)
    for (const slot of slots) if (ownerBefore.get(slot) !== id) moved.push(slot);
  return moved.sort((a, b) => a - b);
}

describe('assignSlots', () => {
  test('a group of one holds every slot', () => {
    const assignment = fresh('a');
    assertComplete(assignment);
    assert.equal(assignment.get('a')!.length, SLOT_COUNT);
  });

  test('no members, no assignment', () => {
    assert.equal(assignSlots([]).size, 0);
  });

  const freshCases = [
    { members: 2, shares: [128, 128] },
    { members: 3, shares: [86, 85, 85] },
    { members: 5, shares: [52, 51, 51, 51, 51] },
  ];
  for (const { members, shares } of freshCases) {
    test(`${members} new members get slots dealt in turn (${shares.join('/')})`, () => {
      const ids = Array.from({ length: members }, (_, index) => `member-${index}`);
      const assignment = fresh(...ids);
      assertComplete(assignment);
      assert.deepEqual(
        ids.map((id) => assignment.get(id)!.length),
        shares,
      );
      for (const [index, id] of ids.entries()) {
        assert.ok(assignment.get(id)!.every((slot) => slot % members === index));
      }
    });
  }

  test('two and three processes split even a 6-partition topic evenly', () => {
    for (const ids of [
      ['a', 'b'],
      ['a', 'b', 'c'],
    ]) {
      const assignment = fresh(...ids);
      const owners = [0, 1, 2, 3, 4, 5].map((partition) => {
        const slot = slotOf('orders', partition);
        return ids.find((id) => assignment.get(id)!.includes(slot));
      });
      for (const id of ids) {
        assert.equal(owners.filter((owner) => owner === id).length, 6 / ids.length, owners.join(','));
      }
    }
  });

  test('the answer does not depend on the order the members are listed in', () => {
    const previous = fresh('a', 'b', 'c');
    const members = rejoin(previous, 1, ['a', 'b', 'c', 'd']);
    assert.deepEqual(assignSlots(members), assignSlots([...members].reverse()));
  });

  test('a member leaving: only its slots move, to the others, fairly', () => {
    const before = fresh('a', 'b', 'c');
    const after = assignSlots(rejoin(before, 1, ['a', 'c']));
    assertComplete(after);
    assert.deepEqual(movedSlots(before, after), before.get('b'));
    for (const id of ['a', 'c']) assert.ok(before.get(id)!.every((slot) => after.get(id)!.includes(slot)));
  });

  test('a member joining: it gets a fair share, and no other slot moves', () => {
    const before = fresh('a', 'b');
    const after = assignSlots(rejoin(before, 1, ['a', 'b', 'c']));
    assertComplete(after);
    assert.equal(after.get('c')!.length, 85);
    assert.deepEqual(movedSlots(before, after), after.get('c'));
    // The slots it took are spread over the whole range, not the tail of each holder's.
    const taken = after.get('c')!;
    assert.ok(taken[0]! < 16 && taken.at(-1)! > 240, `slots taken: ${taken[0]}…${taken.at(-1)}`);
  });

  test('a process restarting (leaves, comes back as a new member): two rebalances, each moves only its share', () => {
    const start = fresh('a', 'b', 'c');
    const without = assignSlots(rejoin(start, 1, ['a', 'b']));
    const back = assignSlots(rejoin(without, 2, ['a', 'b', 'c2']));
    assertComplete(back);
    assert.equal(movedSlots(start, without).length, start.get('c')!.length);
    assert.equal(movedSlots(without, back).length, back.get('c2')!.length);
  });

  test('a claim from an older generation loses to a newer one', () => {
    const members: GroupMember[] = [
      { memberId: 'a', claim: { generation: 4, slots: [0, 1, 2] } },
      { memberId: 'b', claim: { generation: 5, slots: [2, 3] } },
    ];
    const assignment = assignSlots(members, 4);
    assert.deepEqual(assignment.get('b'), [2, 3]);
    assert.deepEqual(assignment.get('a'), [0, 1]);
  });

  test('two claims of the same generation on one slot are both distrusted; the slot is dealt anew', () => {
    const members: GroupMember[] = [
      { memberId: 'a', claim: { generation: 5, slots: [0, 1, 2, 3] } },
      { memberId: 'b', claim: { generation: 5, slots: [3] } },
    ];
    const assignment = assignSlots(members, 6);
    assertComplete(assignment, 6);
    // a keeps 3 of its own (its share), b gets the rest dealt, including the disputed slot 3.
    assert.deepEqual(assignment.get('a'), [0, 1, 2]);
    assert.deepEqual(assignment.get('b'), [3, 4, 5]);
  });

  test('claims of slots that do not exist are ignored', () => {
    const assignment = assignSlots(
      [
        { memberId: 'a', claim: { generation: 1, slots: [-1, 1.5, 4, 99] } },
        { memberId: 'b', claim: null },
      ],
      4,
    );
    assertComplete(assignment, 4);
  });

  test('more members than slots: every slot still has one owner, some members hold none', () => {
    const ids = Array.from({ length: 300 }, (_, index) => `m${String(index).padStart(3, '0')}`);
    const assignment = fresh(...ids);
    assert.equal(assignment.size, 300);
    const all = [...assignment.values()].flat();
    assert.equal(new Set(all).size, SLOT_COUNT);
    assert.equal(all.length, SLOT_COUNT);
  });
});
