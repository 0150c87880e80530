// Long computations in steps (plan/steps.ts): run at once they give their result; run in time slices they
// give the same result and let the event loop turn whenever a slice has used its time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runToEnd, type Steps } from '../../src/plan/steps.js';
import { runInSlices } from '../../src/runtime/time-slices.js';

/** `count` steps that each take `stepMs` on the clock `clock`; returns how many ran. */
function* countingSteps(count: number, stepMs: number, clock: { nowMs: number }): Steps<number> {
  for (let step = 0; step < count; step++) {
    clock.nowMs += stepMs;
    yield;
  }
  return count;
}

test('run to the end, steps give their result', () => {
  assert.equal(runToEnd(countingSteps(7, 5, { nowMs: 0 })), 7);
});

test('in slices, the event loop turns after each slice of work, and the result is the same', async () => {
  const clock = { nowMs: 0 };
  // What the clock said each time the event loop turned: how much work ran in between.
  const seenAtMs: number[] = [];
  let done = false;
  const watch = () => {
    seenAtMs.push(clock.nowMs);
    if (!done) setImmediate(watch);
  };
  setImmediate(watch);
  // 100 steps of 5 ms in slices of 20 ms: the loop turns after every 4th step.
  const result = await runInSlices(countingSteps(100, 5, clock), { sliceMs: 20, nowMs: () => clock.nowMs });
  done = true;
  assert.equal(result, 100);
  const slicesMs = seenAtMs.slice(1).map((atMs, index) => atMs - seenAtMs[index]!);
  assert.ok(seenAtMs.length >= 24, `the event loop turned ${seenAtMs.length} times`);
  assert.ok(Math.max(...slicesMs) <= 20, `slices: ${slicesMs.join(' ')}`);
});

test('in slices, a computation that fits in one slice never waits for the event loop', async () => {
  const clock = { nowMs: 0 };
  let turned = false;
  setImmediate(() => {
    turned = true;
  });
  const result = await runInSlices(countingSteps(3, 5, clock), { sliceMs: 20, nowMs: () => clock.nowMs });
  assert.equal(result, 3);
  assert.equal(turned, false);
});
