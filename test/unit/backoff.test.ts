import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { retryDelayMs } from '../../src/runtime/backoff.js';

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
