import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type FlowSpec, flowKey } from '../../src/plan/flow-spec.js';
import { type Plan, planFlows, planHasChanges } from '../../src/plan/plan.js';

function flow(originTopic: string, overrides: Partial<FlowSpec> = {}): FlowSpec {
  const base: FlowSpec = {
    key: flowKey('london', originTopic, 'frankfurt', `london.${originTopic}`),
    replication: 'orders',
    origin: 'london',
    originTopic,
    destination: 'frankfurt',
    destinationTopic: `london.${originTopic}`,
    partitions: 6,
    paused: false,
    start: 'earliest',
    onOriginTopicDeleted: 'keep',
    maxBytesPerSecond: null,
    restartSettings: {
      originConnection: 'aaaa',
      destinationConnection: 'bbbb',
      originCredentials: 0,
      destinationCredentials: 0,
      delivery: 'at-least-once',
      compression: 'origin',
      loopPrevention: 'none',
      replicationFactor: 'auto',
      topicConfigExclude: [],
      consumerGroupId: `georep.london.frankfurt.${originTopic}.london.${originTopic}`,
      laneGroupId: 'georep.london.frankfurt.prefix',
    },
  };
  return { ...base, ...overrides };
}

function withRestartSettings(spec: FlowSpec, settings: Partial<FlowSpec['restartSettings']>): FlowSpec {
  return { ...spec, restartSettings: { ...spec.restartSettings, ...settings } };
}

/** The plan as keys per action, which is what an operator reads in `georep plan`. */
function summary(plan: Plan) {
  return {
    start: plan.start.map((f) => f.originTopic),
    stop: plan.stop.map((f) => f.originTopic),
    restart: plan.restart.map((c) => `${c.to.originTopic}: ${c.changes.map((s) => s.setting).join(',')}`),
    update: plan.update.map((c) => `${c.to.originTopic}: ${c.changes.map((s) => s.setting).join(',')}`),
    unchanged: plan.unchanged.map((f) => f.originTopic),
  };
}

const empty = { start: [], stop: [], restart: [], update: [], unchanged: [] };

describe('planFlows', () => {
  const cases: {
    name: string;
    desired: FlowSpec[];
    running: FlowSpec[];
    expected: ReturnType<typeof summary>;
  }[] = [
    {
      name: 'startup (nothing running) starts every desired flow, sorted',
      desired: [flow('payments'), flow('orders')],
      running: [],
      expected: { ...empty, start: ['orders', 'payments'] },
    },
    {
      name: 'nothing changed leaves every flow alone',
      desired: [flow('orders'), flow('payments')],
      running: [flow('orders'), flow('payments')],
      expected: { ...empty, unchanged: ['orders', 'payments'] },
    },
    {
      name: 'a flow no longer desired is stopped and the others are untouched',
      desired: [flow('orders')],
      running: [flow('orders'), flow('payments')],
      expected: { ...empty, stop: ['payments'], unchanged: ['orders'] },
    },
    {
      name: 'a new topic starts only its own flow',
      desired: [flow('orders'), flow('refunds')],
      running: [flow('orders')],
      expected: { ...empty, start: ['refunds'], unchanged: ['orders'] },
    },
    {
      name: 'a changed delivery guarantee restarts that flow only',
      desired: [withRestartSettings(flow('orders'), { delivery: 'exactly-once' }), flow('payments')],
      running: [flow('orders'), flow('payments')],
      expected: { ...empty, restart: ['orders: delivery'], unchanged: ['payments'] },
    },
    {
      name: 'a changed compression restarts that flow only',
      desired: [withRestartSettings(flow('orders'), { compression: 'zstd' }), flow('payments')],
      running: [flow('orders'), flow('payments')],
      expected: { ...empty, restart: ['orders: compression'], unchanged: ['payments'] },
    },
    {
      name: 'new credentials for the destination restart the flows that write there',
      desired: [withRestartSettings(flow('orders'), { destinationConnection: 'cccc' })],
      running: [flow('orders')],
      expected: { ...empty, restart: ['orders: destinationConnection'] },
    },
    {
      name: 'a flow that moves to another lane restarts, and the plan names its lane group',
      desired: [flow('orders'), flow('payments')],
      running: [
        withRestartSettings(flow('orders'), { laneGroupId: 'georep.london.frankfurt.t-0123456789ab' }),
        flow('payments'),
      ],
      expected: { ...empty, restart: ['orders: laneGroupId'], unchanged: ['payments'] },
    },
    {
      name: 'pausing is applied in place, not by a restart',
      desired: [flow('orders', { paused: true })],
      running: [flow('orders')],
      expected: { ...empty, update: ['orders: paused'] },
    },
    {
      name: 'what happens to the copy of a deleted origin topic changes in place, not by a restart',
      desired: [flow('orders', { onOriginTopicDeleted: 'delete' })],
      running: [flow('orders')],
      expected: { ...empty, update: ['orders: onOriginTopicDeleted'] },
    },
    {
      name: 'partitions added on the origin are applied in place',
      desired: [flow('orders', { partitions: 8 })],
      running: [flow('orders')],
      expected: { ...empty, update: ['orders: partitions'] },
    },
    {
      name: 'renaming the replication keeps the flow running',
      desired: [flow('orders', { replication: 'orders-to-frankfurt' })],
      running: [flow('orders')],
      expected: { ...empty, update: ['orders: replication'] },
    },
    {
      name: 'a bandwidth cap set, changed or removed is applied in place, to the flows of its replication only',
      desired: [
        flow('orders', { maxBytesPerSecond: 2_000_000 }),
        flow('refunds'),
        flow('payments', { maxBytesPerSecond: 1_000_000 }),
      ],
      running: [flow('orders'), flow('refunds'), flow('payments', { maxBytesPerSecond: 4_000_000 })],
      expected: {
        ...empty,
        update: ['orders: maxBytesPerSecond', 'payments: maxBytesPerSecond'],
        unchanged: ['refunds'],
      },
    },
    {
      name: 'a new start position does not restart a flow that already has progress',
      desired: [flow('orders', { start: 'latest' })],
      running: [flow('orders')],
      expected: { ...empty, unchanged: ['orders'] },
    },
    {
      name: 'a restart setting and an in-place setting together mean a restart that lists both',
      desired: [
        withRestartSettings(flow('orders', { paused: true, maxBytesPerSecond: 20_000 }), {
          replicationFactor: 2,
        }),
      ],
      running: [flow('orders')],
      expected: { ...empty, restart: ['orders: replicationFactor,paused,maxBytesPerSecond'] },
    },
    {
      name: 'stopping everything',
      desired: [],
      running: [flow('orders'), flow('payments')],
      expected: { ...empty, stop: ['orders', 'payments'] },
    },
  ];

  for (const { name, desired, running, expected } of cases) {
    test(name, () => {
      assert.deepEqual(summary(planFlows(desired, running)), expected);
    });
  }

  test('a restart lists each changed setting with its old and new value', () => {
    const plan = planFlows(
      [withRestartSettings(flow('orders'), { delivery: 'exactly-once' })],
      [flow('orders')],
    );
    assert.deepEqual(plan.restart[0]?.changes, [
      { setting: 'delivery', from: 'at-least-once', to: 'exactly-once' },
    ]);
  });

  test('a cap change shows both values, none as (none)', () => {
    const set = planFlows([flow('orders', { maxBytesPerSecond: 20_000_000 })], [flow('orders')]);
    assert.deepEqual(set.update[0]?.changes, [
      { setting: 'maxBytesPerSecond', from: '(none)', to: '20000000' },
    ]);
    const removed = planFlows([flow('orders')], [flow('orders', { maxBytesPerSecond: 1024 })]);
    assert.deepEqual(removed.update[0]?.changes, [
      { setting: 'maxBytesPerSecond', from: '1024', to: '(none)' },
    ]);
  });

  test('a daemon whose specs do not show a cap (an older one) is not told its cap changed', () => {
    const { maxBytesPerSecond: _, ...older } = flow('orders');
    const plan = planFlows([flow('orders', { maxBytesPerSecond: 1024 })], [older as FlowSpec]);
    assert.deepEqual(summary(plan), { ...empty, unchanged: ['orders'] });
  });

  test('config excludes are compared as lists and shown item by item', () => {
    const excluding = (...names: string[]) =>
      withRestartSettings(flow('orders'), { topicConfigExclude: names });
    const cases: [string, FlowSpec, FlowSpec, { from: string; to: string } | null][] = [
      ['the same list', excluding('retention.ms'), excluding('retention.ms'), null],
      [
        'an exclude added',
        excluding('retention.ms'),
        excluding('retention.ms', 'segment.bytes'),
        { from: 'retention.ms', to: 'retention.ms, segment.bytes' },
      ],
      ['the first exclude', excluding(), excluding('retention.ms'), { from: '(none)', to: 'retention.ms' }],
    ];
    for (const [name, running, desired, expected] of cases) {
      const change = planFlows([desired], [running]).restart[0]?.changes;
      assert.deepEqual(
        change,
        expected === null ? undefined : [{ setting: 'topicConfigExclude', ...expected }],
        name,
      );
    }
  });

  test('an unchanged flow keeps the running spec', () => {
    const running = flow('orders');
    const plan = planFlows([flow('orders', { start: 'latest' })], [running]);
    assert.equal(plan.unchanged[0], running);
  });
});

describe('planHasChanges', () => {
  test('is false when every flow is unchanged', () => {
    assert.equal(planHasChanges(planFlows([flow('orders')], [flow('orders')])), false);
  });

  test('is true when anything would start, stop, restart or update', () => {
    assert.equal(planHasChanges(planFlows([flow('orders')], [])), true);
    assert.equal(planHasChanges(planFlows([], [flow('orders')])), true);
    assert.equal(planHasChanges(planFlows([flow('orders', { paused: true })], [flow('orders')])), true);
  });
});
