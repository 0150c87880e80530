import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flowRetryDelayMs, retryDelayMs } from '../../src/runtime/backoff.js';

describe('retryDelayMs', () => {
  const policy = { initialDelayMs: 500, maxDelayMs: 30_000 };

  test('doubles the ceiling with each attempt', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((attempt) => retryDelayMs(policy, attempt, 0.999999)),
      [500, 1000, 2000, 4000],
    );
  });

  test('stays between half the ceiling and the ceiling', () => {
    assert.equal(retryDelayMs(policy, 3, 0), 1000);
    assert.equal(retryDelayMs(policy, 3, 0.5), 1500);
  });

  test('never exceeds the maximum, however many attempts failed', () => {
    assert.equal(retryDelayMs(policy, 60, 0.999999), 30_000);
  });
});

describe('flowRetryDelayMs', () => {
  const policy = { initialDelayMs: 500, maxDelayMs: 30_000 };
  const recheckMs = 300_000;
  const cases = [
    {
      failure: 'authorization, not retriable',
      reason: 'authorization-failed',
      retriable: false,
      expected: 300_000,
    },
    {
      failure: 'a cluster that does not answer',
      reason: 'destination-unavailable',
      retriable: true,
      expected: 1000,
    },
    {
      failure: 'another retriable failure',
      reason: 'internal-error',
      retriable: true,
      expected: 8000,
    },
  ];
  for (const { failure, reason, retriable, expected } of cases) {
    test(`after the 5th failed attempt, ${failure}: waits ${expected} ms`, () => {
      assert.equal(flowRetryDelayMs({ reason, retriable }, 5, policy, recheckMs, 0.999999), expected);
    });
  }

  test('a cluster that does not answer early on waits the ordinary backoff, below the cap', () => {
    assert.equal(
      flowRetryDelayMs({ reason: 'origin-unavailable', retriable: true }, 1, policy, recheckMs, 0),
      250,
    );
  });
});
