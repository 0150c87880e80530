// The fetch budget of the @platformatic/kafka source: the base on a near link or before any round trip is known,
// one round trip's worth more across a WAN (measured only by fetches the broker answered at once), never more
// than its maximum, and requests sized in bytes as sent so that a compressed flow holds its budget decoded.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FetchBudget } from '../../../src/kafka/platformatic/fetch-budget.js';

const limits = {
  maxBytesPerFetch: 100,
  maxBytesPerPartition: 20,
  baseBytes: 200,
  bytesPerRoundTripSecond: 1000,
  nearRoundTripMs: 20,
  maxBytes: 500,
  firstHeldPerReceivedByte: 1,
};

const answer = (elapsedMs: number, immediate = true, receivedBytes = 0, heldBytes = receivedBytes) => ({
  elapsedMs,
  immediate,
  receivedBytes,
  heldBytes,
});

describe('the platformatic source fetch budget', () => {
  test('grows with the shortest round trip of fetches answered at once, up to its maximum', () => {
    const cases: { answers: ReturnType<typeof answer>[]; bufferedBytes: number; why: string }[] = [
      { answers: [], bufferedBytes: 200, why: 'no round trip known yet: the base' },
      { answers: [answer(2)], bufferedBytes: 200, why: 'a near link: the base' },
      { answers: [answer(20)], bufferedBytes: 200, why: 'up to nearRoundTripMs: the base' },
      { answers: [answer(170)], bufferedBytes: 350, why: '170 ms: the base and 150 ms of 1000 bytes/s' },
      { answers: [answer(180), answer(170), answer(400)], bufferedBytes: 350, why: 'the shortest' },
      { answers: [answer(170), answer(3, false)], bufferedBytes: 350, why: 'a held fetch is no sample' },
      { answers: [answer(500, false)], bufferedBytes: 200, why: 'only held fetches: the base' },
      { answers: [answer(920)], bufferedBytes: 500, why: 'at most the maximum' },
      {
        answers: [answer(1), ...Array.from({ length: 8 }, () => answer(170))],
        bufferedBytes: 350,
        why: 'the last eight samples only',
      },
    ];
    for (const { answers, bufferedBytes, why } of cases) {
      const budget = new FetchBudget(limits);
      for (const each of answers) budget.answered(each);
      assert.equal(budget.bufferedBytes, bufferedBytes, why);
    }
  });

  test('before any answer told what a byte received becomes, asks as if it became firstHeldPerReceivedByte', () => {
    const budget = new FetchBudget({ ...limits, firstHeldPerReceivedByte: 4 });
    assert.deepEqual(
      budget.next(0),
      { maxBytes: 25, maxBytesPerPartition: 20, reservedBytes: 100 },
      'a quarter of half the budget of 200 (a zstd answer of 25 bytes may hold 150)',
    );
    budget.answered(answer(2, true, 10, 10));
    assert.equal(budget.next(0)?.maxBytes, 100, 'told: uncompressed');
  });

  test('asks for the room left, at most a fetch and half the budget, and for nothing while less than a partition share is left', () => {
    const budget = new FetchBudget(limits);
    assert.deepEqual(budget.next(0), { maxBytes: 100, maxBytesPerPartition: 20, reservedBytes: 100 });
    assert.deepEqual(budget.next(150), { maxBytes: 50, maxBytesPerPartition: 20, reservedBytes: 50 });
    assert.deepEqual(budget.next(190), null);
    const small = new FetchBudget({ ...limits, baseBytes: 100 });
    assert.equal(small.next(0)?.maxBytes, 50, 'a budget of 100: half of it');
  });

  test('a compressed answer sizes the next requests by what each byte received became', () => {
    const budget = new FetchBudget(limits);
    budget.answered(answer(2, true, 10, 60));
    assert.deepEqual(
      budget.next(0),
      { maxBytes: 16, maxBytesPerPartition: 16, reservedBytes: 96 },
      'a sixth of half the budget of 200, reserved as what it will hold',
    );
    budget.answered(answer(2, true, 0, 0));
    assert.equal(budget.next(0)?.maxBytes, 16, 'an empty answer tells nothing about the codec');
    budget.answered(answer(2, true, 10, 10));
    assert.equal(budget.next(0)?.maxBytes, 100, 'uncompressed again');
  });
});
