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

  test('an error keeps its reason while the flow retries, and clears once it runs again', () => {
    const { flow, advance } = machine();
    flow.moveTo('running');
    advance(500);
    flow.fail(unreachable);
    assert.deepEqual(flow.snapshot(), { state: 'error', sinceMs: 1500, error: unreachable });
    flow.moveTo('starting');
    assert.equal(flow.snapshot().error, unreachable);
    flow.moveTo('running');
    assert.equal(flow.snapshot().error, null);
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
