import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SharedAttempt } from '../../../src/kafka/shared-attempt.js';

/** An attempt whose outcomes the test decides: each start() is counted and waits to be settled. */
function controlledAttempt() {
  const pending: { resolve(value: string): void; reject(error: Error): void }[] = [];
  let running = 0;
  let mostRunning = 0;
  const attempt = new SharedAttempt<string>(
    () =>
      new Promise<string>((resolve, reject) => {
        running++;
        mostRunning = Math.max(mostRunning, running);
        const done = () => running--;
        pending.push({
          resolve: (value) => {
            done();
            resolve(value);
          },
          reject: (error) => {
            done();
            reject(error);
          },
        });
      }),
  );
  return { attempt, pending, starts: () => pending.length, mostRunning: () => mostRunning };
}

/** Lets the attempt's own reactions to a settled promise run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SharedAttempt', () => {
  test('callers while an attempt runs share it; a succeeded attempt answers every later caller', async () => {
    const { attempt, pending, starts } = controlledAttempt();
    const first = attempt.get();
    const second = attempt.get();
    assert.equal(starts(), 1);
    pending[0]!.resolve('joined');
    assert.deepEqual(await Promise.all([first, second]), ['joined', 'joined']);
    await settle();
    assert.equal(await attempt.get(), 'joined');
    assert.equal(starts(), 1, 'no second attempt after a success');
  });

  test('a failed attempt fails its callers, and the next caller starts another', async () => {
    const { attempt, pending, starts, mostRunning } = controlledAttempt();
    const first = attempt.get();
    const second = attempt.get();
    pending[0]!.reject(new Error('coordinator not available'));
    await assert.rejects(first, /coordinator not available/);
    await assert.rejects(second, /coordinator not available/);
    await settle();
    const retried = attempt.get();
    assert.equal(starts(), 2, 'the caller after the failure started another attempt');
    pending[1]!.resolve('joined');
    assert.equal(await retried, 'joined');
    assert.equal(mostRunning(), 1, 'never two attempts at once');
  });

  test('forget() drops a succeeded attempt, never one under way', async () => {
    const { attempt, pending, starts, mostRunning } = controlledAttempt();
    const first = attempt.get();
    attempt.forget();
    assert.equal(attempt.get(), first, 'the attempt under way is kept');
    pending[0]!.resolve('joined');
    await first;
    await settle();
    attempt.forget();
    const again = attempt.get();
    assert.equal(starts(), 2, 'a new attempt after the succeeded one was forgotten');
    pending[1]!.resolve('joined again');
    assert.equal(await again, 'joined again');
    assert.equal(mostRunning(), 1);
  });
});
