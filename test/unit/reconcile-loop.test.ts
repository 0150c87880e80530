import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReconcileLoop, type ReconcileTrigger } from '../../src/runtime/reconcile-loop.js';

function recordingLoop(reconcileMs: number, coalesceMs = 5) {
  const runs: ReconcileTrigger[][] = [];
  const unexpectedErrors: unknown[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const loop = new ReconcileLoop({
    coalesceMs,
    reconcile: async (triggers) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      runs.push([...triggers].sort());
      await sleep(reconcileMs);
      concurrent--;
    },
    onUnexpectedError: (error) => unexpectedErrors.push(error),
  });
  return { loop, runs, unexpectedErrors, maxConcurrent: () => maxConcurrent };
}

describe('ReconcileLoop', () => {
  test('a burst of requests becomes one reconcile carrying every trigger', async () => {
    const { loop, runs } = recordingLoop(1);
    loop.request('file-change');
    loop.request('file-change');
    loop.request('sighup');
    await loop.whenIdle();
    assert.deepEqual(runs, [['file-change', 'sighup']]);
  });

  test('a request during a reconcile runs exactly one more reconcile after it, never in parallel', async () => {
    const { loop, runs, maxConcurrent } = recordingLoop(30);
    loop.request('startup');
    await sleep(15); // the first reconcile is running now
    loop.request('discovery');
    loop.request('sighup');
    await loop.whenIdle();
    assert.deepEqual(runs, [['startup'], ['discovery', 'sighup']]);
    assert.equal(maxConcurrent(), 1);
  });

  test('an error escaping a reconcile is reported and the loop keeps serving requests', async () => {
    const unexpectedErrors: unknown[] = [];
    let calls = 0;
    const loop = new ReconcileLoop({
      coalesceMs: 1,
      reconcile: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
      onUnexpectedError: (error) => unexpectedErrors.push(error),
    });
    loop.request('startup');
    await loop.whenIdle();
    loop.request('sighup');
    await loop.whenIdle();
    assert.equal(calls, 2);
    assert.equal((unexpectedErrors[0] as Error).message, 'boom');
  });

  test('stop waits for the running reconcile and ignores later requests', async () => {
    const { loop, runs } = recordingLoop(20);
    loop.request('startup');
    await sleep(10);
    loop.request('discovery');
    await loop.stop();
    loop.request('sighup');
    await sleep(20);
    assert.deepEqual(runs, [['startup']]);
  });
});
