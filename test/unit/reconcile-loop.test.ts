import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReconcileLoop, type ReconcileTrigger } from '../../src/runtime/reconcile-loop.js';

/**
 * A loop that records the triggers of each reconcile. Each reconcile waits until the test releases it, so
 * the test knows when one is running (no timing guesses on a loaded machine).
 */
function recordingLoop() {
  const runs: ReconcileTrigger[][] = [];
  const held: (() => void)[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const loop = new ReconcileLoop({
    coalesceMs: 5,
    reconcile: async (triggers) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      runs.push([...triggers].sort());
      await new Promise<void>((resolve) => held.push(resolve));
      concurrent--;
    },
    onUnexpectedError: (error) => assert.fail(String(error)),
  });
  /** Resolves once `count` reconciles have started. */
  const started = async (count: number) => {
    while (runs.length < count) await sleep(1);
  };
  const releaseAll = () => {
    for (const release of held.splice(0)) release();
  };
  return { loop, runs, started, releaseAll, maxConcurrent: () => maxConcurrent };
}

describe('ReconcileLoop', () => {
  test('a burst of requests becomes one reconcile carrying every trigger', async () => {
    const { loop, runs, started, releaseAll } = recordingLoop();
    loop.request('file-change');
    loop.request('file-change');
    loop.request('sighup');
    await started(1);
    releaseAll();
    await loop.whenIdle();
    assert.deepEqual(runs, [['file-change', 'sighup']]);
  });

  test('a request during a reconcile runs exactly one more reconcile after it, never in parallel', async () => {
    const { loop, runs, started, releaseAll, maxConcurrent } = recordingLoop();
    loop.request('startup');
    await started(1); // the first reconcile is running now, until released
    loop.request('discovery');
    loop.request('sighup');
    await sleep(20); // longer than the coalescing: a reconcile in parallel would have started by now
    releaseAll();
    await started(2);
    releaseAll();
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
    const { loop, runs, started, releaseAll } = recordingLoop();
    loop.request('startup');
    await started(1);
    loop.request('discovery');
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await sleep(20);
    assert.equal(stopped, false, 'stop waits while the reconcile runs');
    releaseAll();
    await stopping;
    loop.request('sighup');
    await sleep(20);
    assert.deepEqual(runs, [['startup']]);
  });
});
