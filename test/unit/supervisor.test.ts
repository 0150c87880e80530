import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FlowSpec, flowKey } from '../../src/plan/flow-spec.js';
import { planFlows } from '../../src/plan/plan.js';
import { type ManagedFlow, Supervisor } from '../../src/runtime/supervisor.js';

function spec(topic: string, overrides: Partial<FlowSpec> = {}): FlowSpec {
  return {
    key: flowKey('a', topic, 'b', topic),
    replication: 'r',
    origin: 'a',
    originTopic: topic,
    destination: 'b',
    destinationTopic: topic,
    partitions: 1,
    paused: false,
    start: 'earliest',
    onOriginTopicDeleted: 'keep',
    maxBytesPerSecond: null,
    restartSettings: {
      originConnection: 'x',
      destinationConnection: 'y',
      originCredentials: 0,
      destinationCredentials: 0,
      delivery: 'at-least-once',
      compression: 'origin',
      loopPrevention: 'none',
      replicationFactor: 'auto',
      topicConfigExclude: [],
      consumerGroupId: `g.${topic}`,
      laneGroupId: 'g.lane',
    },
    ...overrides,
  };
}

/** Records the order of lifecycle events across flows, which is what the supervisor promises. */
function eventLog() {
  const events: string[] = [];
  const startFlow = (initial: FlowSpec): ManagedFlow => {
    events.push(`start ${initial.originTopic}`);
    const flow = {
      spec: initial,
      async update(next: FlowSpec) {
        if (next.originTopic === 'broken') throw new Error('cannot pause');
        events.push(`update ${next.originTopic}`);
        flow.spec = next;
      },
      async stop() {
        await sleep(5);
        events.push(`stopped ${flow.spec.originTopic}`);
      },
    };
    return flow;
  };
  return { events, supervisor: new Supervisor(startFlow) };
}

describe('Supervisor.apply', () => {
  test('its generation moves with every plan that changes a flow and with stopAll, not with an empty plan', async () => {
    const { supervisor } = eventLog();
    const before = supervisor.generation;
    await supervisor.apply(planFlows([spec('x')], []));
    const started = supervisor.generation;
    assert.notEqual(started, before);
    await supervisor.apply(planFlows([spec('x')], supervisor.runningSpecs()));
    assert.equal(supervisor.generation, started, 'nothing changed: the running specs are the same');
    await supervisor.apply(planFlows([spec('x', { paused: true })], supervisor.runningSpecs()));
    const updated = supervisor.generation;
    assert.notEqual(updated, started);
    await supervisor.stopAll();
    assert.notEqual(supervisor.generation, updated);
  });

  test('startup starts every flow and reports one result per flow', async () => {
    const { events, supervisor } = eventLog();
    const results = await supervisor.apply(planFlows([spec('x'), spec('y')], []));
    assert.deepEqual(events, ['start x', 'start y']);
    assert.deepEqual(
      results.map((r) => `${r.action} ${r.ok}`),
      ['start true', 'start true'],
    );
    assert.deepEqual(
      supervisor.runningSpecs().map((s) => s.originTopic),
      ['x', 'y'],
    );
  });

  test('a restart stops the old flow completely before the new one starts; untouched flows see nothing', async () => {
    const { events, supervisor } = eventLog();
    await supervisor.apply(planFlows([spec('x'), spec('untouched')], []));
    events.length = 0;
    const changed = {
      ...spec('x'),
      restartSettings: { ...spec('x').restartSettings, delivery: 'exactly-once' as const },
    };
    await supervisor.apply(planFlows([changed, spec('untouched')], supervisor.runningSpecs()));
    assert.deepEqual(events, ['stopped x', 'start x']);
  });

  test('a flow being stopped is still shown until it stopped, not run', async () => {
    let finishStop = () => {};
    const startFlow = (initial: FlowSpec): ManagedFlow => ({
      spec: initial,
      async update() {},
      stop: () => new Promise<void>((resolve) => (finishStop = resolve)),
    });
    const supervisor = new Supervisor(startFlow);
    await supervisor.apply(planFlows([spec('x')], []));
    const applying = supervisor.apply(planFlows([], supervisor.runningSpecs()));
    await sleep(1);
    assert.deepEqual(supervisor.flows(), [], 'not running: the next plan does not count it');
    assert.deepEqual(
      supervisor.flowsWithStopping().map((flow) => flow.spec.originTopic),
      ['x'],
      'shown while it flushes',
    );
    finishStop();
    await applying;
    assert.deepEqual(supervisor.flowsWithStopping(), []);
  });

  test('removed flows are stopped before new flows start', async () => {
    const { events, supervisor } = eventLog();
    await supervisor.apply(planFlows([spec('old')], []));
    events.length = 0;
    await supervisor.apply(planFlows([spec('new')], supervisor.runningSpecs()));
    assert.deepEqual(events, ['stopped old', 'start new']);
  });

  test('an update that fails is reported for that flow and the others still apply', async () => {
    const { supervisor } = eventLog();
    await supervisor.apply(planFlows([spec('broken'), spec('fine')], []));
    const results = await supervisor.apply(
      planFlows(
        [spec('broken', { paused: true }), spec('fine', { paused: true })],
        supervisor.runningSpecs(),
      ),
    );
    assert.deepEqual(
      results.map((r) => [r.key.split(' ')[0], r.ok, r.error]),
      [
        ['a/broken', false, 'cannot pause'],
        ['a/fine', true, null],
      ],
    );
  });

  test('a flow that cannot even be created fails alone', async () => {
    const supervisor = new Supervisor((s) => {
      if (s.originTopic === 'bad') throw new Error('no client');
      return { spec: s, update: async () => {}, stop: async () => {} };
    });
    const results = await supervisor.apply(planFlows([spec('bad'), spec('good')], []));
    assert.deepEqual(
      results.map((r) => [r.key.split(' ')[0], r.ok]),
      [
        ['a/bad', false],
        ['a/good', true],
      ],
    );
    assert.deepEqual(
      supervisor.runningSpecs().map((s) => s.originTopic),
      ['good'],
    );
  });
});
