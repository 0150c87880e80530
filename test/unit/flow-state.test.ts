import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FlowStateMachine, IllegalFlowTransition } from '../../src/runtime/flow-state.js';

function machine() {
  let now = 1000;
  const changes: string[] = [];
  const flow = new FlowStateMachine(
    () => now,
    (from, to, error) => changes.push(`${from}->${to}${error ? ` (${error.reason})` : ''}`),
  );
  return { flow, changes, advance: (ms: number) => (now += ms) };
}

const truncated = { reason: 'origin-truncated', message: 'partition 0: ...', retriable: false };
const unreachable = { reason: 'destination-unreachable', message: 'connect ECONNREFUSED', retriable: true };

describe('FlowStateMachine', () => {
  test('a flow starts, runs, pauses, resumes and stops', () => {
    const { flow, changes } = machine();
    for (const state of ['running', 'paused', 'running', 'stopping', 'stopped'] as const) flow.moveTo(state);
    assert.deepEqual(changes, [
      'starting->running',
      'running->paused',
      'paused->running',
      'running->stopping',
      'stopping->stopped',
    ]);
  });

  test('a flow retries in the error state, showing the latest reason since it first failed, until it runs', () => {
    const { flow, advance, changes } = machine();
    flow.moveTo('running');
    advance(500);
    flow.fail(truncated);
    advance(2000);
    flow.fail(unreachable);
    assert.deepEqual(flow.snapshot(), { state: 'error', sinceMs: 1500, error: unreachable });
    assert.throws(() => flow.moveTo('starting'), IllegalFlowTransition);
    flow.moveTo('running');
    assert.deepEqual(flow.snapshot(), { state: 'running', sinceMs: 3500, error: null });
    assert.deepEqual(changes, [
      'starting->running',
      'running->error (origin-truncated)',
      'error->error (destination-unreachable)',
      'error->running',
    ]);
  });

  test('a running flow stalls while a cluster does not answer, says the latest detail, and runs again', () => {
    const { flow, advance, changes } = machine();
    flow.moveTo('running');
    advance(100);
    const silent = { reason: 'origin-unavailable', message: 'no fetch response for 2.0 s', retriable: true };
    const refused = { reason: 'origin-unavailable', message: 'connect ECONNREFUSED', retriable: true };
    flow.stall(silent);
    advance(300);
    flow.stall(refused);
    assert.deepEqual(flow.snapshot(), { state: 'stalled', sinceMs: 1100, error: refused });
    flow.moveTo('running');
    assert.deepEqual(flow.snapshot(), { state: 'running', sinceMs: 1400, error: null });
    assert.deepEqual(changes, [
      'starting->running',
      'running->stalled (origin-unavailable)',
      'stalled->stalled (origin-unavailable)',
      'stalled->running',
    ]);
    assert.throws(
      () =>
        new FlowStateMachine(
          () => 0,
          () => {},
        ).stall(silent),
      IllegalFlowTransition,
    );
  });

  test('an illegal transition throws and leaves the state as it was', () => {
    const { flow } = machine();
    flow.moveTo('stopping');
    flow.moveTo('stopped');
    assert.throws(() => flow.moveTo('running'), IllegalFlowTransition);
    assert.equal(flow.state, 'stopped');
  });

  test('a non-retriable error is kept as it was reported', () => {
    const { flow } = machine();
    flow.fail(truncated);
    assert.equal(flow.snapshot().error?.retriable, false);
  });
});
