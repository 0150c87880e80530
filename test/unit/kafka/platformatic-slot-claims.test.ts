// A lane member's claim on its slots survives the trip through JoinGroup, and unreadable data claims nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSlotClaim, encodeSlotClaim } from '../../../src/kafka/platformatic/slot-claims.js';

test('a claim comes back as it was sent: generation and slots, first and last included', () => {
  const claim = { generation: 41, slots: [0, 7, 8, 100, 255] };
  const data = encodeSlotClaim(claim);
  assert.equal(data.length, 37, '1 + 4 + 32 bytes, whatever the number of slots');
  assert.deepEqual(decodeSlotClaim(data), claim);
  assert.deepEqual(decodeSlotClaim(encodeSlotClaim({ generation: -1, slots: [] })), {
    generation: -1,
    slots: [],
  });
});

test('slots that do not exist are not sent', () => {
  assert.deepEqual(decodeSlotClaim(encodeSlotClaim({ generation: 1, slots: [-1, 3, 256, 2.5] }))?.slots, [3]);
});

test('no data, data cut short, data of another version or a string claim nothing', () => {
  const data = encodeSlotClaim({ generation: 2, slots: [1] });
  const otherVersion = Buffer.from(data);
  otherVersion[0] = 1;
  for (const unreadable of [null, undefined, 'abc', data.subarray(0, 20), otherVersion]) {
    assert.equal(decodeSlotClaim(unreadable), null);
  }
});
