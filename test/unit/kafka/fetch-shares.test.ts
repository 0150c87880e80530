// Sharing a lane's budget and handlers out between share groups (replications): which groups are under their
// share, and by how much.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { roomsUnderShare, underHandlerShare } from '../../../src/kafka/platformatic/fetch-shares.js';

describe('shares of a lane', () => {
  const cases: { name: string; held: [string, number][]; rooms: [string, number][] }[] = [
    { name: 'one group holding the whole budget has no room', held: [['a', 100]], rooms: [] },
    { name: 'one group under the budget has the rest', held: [['a', 40]], rooms: [['a', 60]] },
    {
      name: 'a group holding nothing beside one holding everything has half',
      held: [
        ['capped', 100],
        ['open', 0],
      ],
      rooms: [['open', 50]],
    },
    {
      name: 'of three groups, those under a third have what is left of it',
      held: [
        ['capped', 80],
        ['open', 10],
        ['other', 40],
      ],
      rooms: [['open', 100 / 3 - 10]],
    },
  ];
  for (const { name, held, rooms } of cases) {
    test(name, () => {
      assert.deepEqual([...roomsUnderShare(100, new Map(held))], rooms);
    });
  }

  test('a group gets a handler beyond the lane limit while it has fewer than its share of them', () => {
    assert.equal(underHandlerShare(0, 32, 2), true);
    assert.equal(underHandlerShare(15, 32, 2), true);
    assert.equal(underHandlerShare(16, 32, 2), false);
    assert.equal(underHandlerShare(10, 32, 3), true, 'a share of 11 (rounded up)');
    assert.equal(underHandlerShare(11, 32, 3), false);
  });
});
