// What a process reads in a lane: the attached flows' partitions in its slots. Attaching a flow starts only that
// flow's partitions; a new assignment starts and stops only the partitions of the slots that moved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AttachedTopic,
  lanePartitionChanges,
  partitionsToRead,
} from '../../src/plan/lane-partitions.js';
import { SLOT_COUNT, slotOf } from '../../src/plan/lanes.js';
import { assignSlots } from '../../src/plan/slot-assignment.js';

const every = new Set(Array.from({ length: SLOT_COUNT }, (_, slot) => slot));

test('holding every slot, a process reads every partition of every attached flow', () => {
  const read = partitionsToRead(
    [
      { topic: 'orders', partitions: 3 },
      { topic: 'payments', partitions: 1 },
      { topic: 'empty-listing', partitions: 0 },
    ],
    every,
  );
  assert.deepEqual(
    [...read],
    [
      ['orders', [0, 1, 2]],
      ['payments', [0]],
    ],
  );
});

test('a partition is read by whoever holds its slot', () => {
  const slots = new Set([slotOf('orders', 1), slotOf('orders', 2)]);
  assert.deepEqual([...partitionsToRead([{ topic: 'orders', partitions: 6 }], slots)], [['orders', [1, 2]]]);
});

test('three processes read every partition of 500 topics exactly once, about a third each', () => {
  const topics: AttachedTopic[] = Array.from({ length: 500 }, (_, index) => ({
    topic: `topic-${index}`,
    partitions: 12,
  }));
  const assignment = assignSlots(['a', 'b', 'c'].map((memberId) => ({ memberId, claim: null })));
  const counts = [...assignment.values()].map((slots) =>
    [...partitionsToRead(topics, new Set(slots)).values()].reduce((sum, read) => sum + read.length, 0),
  );
  assert.equal(
    counts.reduce((sum, count) => sum + count, 0),
    6000,
  );
  for (const count of counts) assert.ok(count > 1800 && count < 2200, `shares: ${counts.join(', ')}`);
});

test('attaching a flow starts only its partitions; detaching stops only its own', () => {
  const slots = every;
  const before = partitionsToRead([{ topic: 'orders', partitions: 2 }], slots);
  const after = partitionsToRead(
    [
      { topic: 'orders', partitions: 2 },
      { topic: 'payments', partitions: 2 },
    ],
    slots,
  );
  assert.deepEqual(lanePartitionChanges(before, after), {
    start: new Map([['payments', [0, 1]]]),
    stop: new Map(),
  });
  assert.deepEqual(lanePartitionChanges(after, before), {
    start: new Map(),
    stop: new Map([['payments', [0, 1]]]),
  });
});

test('partitions added to a topic start; the others go on', () => {
  const before = partitionsToRead([{ topic: 'orders', partitions: 2 }], every);
  const after = partitionsToRead([{ topic: 'orders', partitions: 4 }], every);
  assert.deepEqual(lanePartitionChanges(before, after), {
    start: new Map([['orders', [2, 3]]]),
    stop: new Map(),
  });
});

test('a process joining the lane: the others stop only the partitions of the slots they gave it', () => {
  const topics: AttachedTopic[] = Array.from({ length: 50 }, (_, index) => ({
    topic: `topic-${index}`,
    partitions: 6,
  }));
  const two = assignSlots(['a', 'b'].map((memberId) => ({ memberId, claim: null })));
  const three = assignSlots(
    ['a', 'b', 'c'].map((memberId) => {
      const slots = two.get(memberId);
      return { memberId, claim: slots === undefined ? null : { generation: 1, slots } };
    }),
  );
  const given = new Set(three.get('c'));
  for (const id of ['a', 'b']) {
    const changes = lanePartitionChanges(
      partitionsToRead(topics, new Set(two.get(id))),
      partitionsToRead(topics, new Set(three.get(id))),
    );
    assert.equal(changes.start.size, 0, `${id} starts nothing`);
    for (const [topic, partitions] of changes.stop) {
      for (const partition of partitions) assert.ok(given.has(slotOf(topic, partition)));
    }
  }
});
