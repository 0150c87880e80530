import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type FlowSpec, flowKey } from '../../src/plan/flow-spec.js';
import { type GroupSyncSpec, planGroupSyncs } from '../../src/plan/group-syncs.js';
import { planFlows } from '../../src/plan/plan.js';
import { planLogEntry, planToJson, renderPlanText } from '../../src/plan/render-plan.js';

function flow(topic: string, overrides: Partial<FlowSpec> = {}): FlowSpec {
  return {
    key: flowKey('london', topic, 'frankfurt', `london.${topic}`),
    replication: 'orders',
    origin: 'london',
    originTopic: topic,
    destination: 'frankfurt',
    destinationTopic: `london.${topic}`,
    partitions: 3,
    paused: false,
    start: 'earliest',
    onOriginTopicDeleted: 'keep',
    maxBytesPerSecond: null,
    restartSettings: {
      originConnection: 'o',
      destinationConnection: 'd',
      originCredentials: 0,
      destinationCredentials: 0,
      delivery: 'at-least-once',
      compression: 'origin',
      loopPrevention: 'none',
      replicationFactor: 'auto',
      topicConfigExclude: [],
      consumerGroupId: `georep.${topic}`,
      laneGroupId: 'georep.lane',
    },
    ...overrides,
  };
}

function groupSync(include: string, overrides: Partial<GroupSyncSpec> = {}): GroupSyncSpec {
  const pattern = { kind: 'glob' as const, source: include, position: { file: 'f', line: 1, col: 1 } };
  return {
    key: `london -> frankfurt groups [${include}]`,
    replication: 'orders',
    origin: 'london',
    destination: 'frankfurt',
    groups: { include: [pattern], exclude: [] },
    groupIdPrefix: 'georep',
    intervalMs: 5000,
    originConnection: 'o',
    destinationConnection: 'd',
    originCredentials: 0,
    destinationCredentials: 0,
    ...overrides,
  };
}

const noGroupSyncs = planGroupSyncs([], []);

describe('renderPlanText', () => {
  const restarted = flow('payments');
  const plan = planFlows(
    [
      flow('new'),
      { ...restarted, restartSettings: { ...restarted.restartSettings, delivery: 'exactly-once' } },
      flow('paused', { paused: true }),
      flow('same'),
    ],
    [flow('gone'), flow('payments'), flow('paused'), flow('same')],
  );
  const rejected = [
    {
      replication: 'orders',
      origin: 'london',
      originTopic: 'x',
      destination: 'frankfurt',
      destinationTopic: 'london.x',
      reason: 'replication "other" already writes this topic from dublin/x',
    },
  ];

  test('shows each action with +, -, ~ and names every changed setting', () => {
    assert.equal(
      renderPlanText(plan, rejected, noGroupSyncs),
      [
        '+ london/new -> frankfurt/london.new  (start, replication orders)',
        '- london/gone -> frankfurt/london.gone  (stop)',
        '~ london/payments -> frankfurt/london.payments  (restart)',
        '    delivery: at-least-once -> exactly-once',
        '~ london/paused -> frankfurt/london.paused  (update in place)',
        '    paused: false -> true',
        '! london/x -> frankfurt/london.x  (not mirrored: replication "other" already writes this topic from dublin/x)',
        '',
        'Plan: 1 to start, 1 to stop, 1 to restart, 1 to update in place, 1 unchanged, 1 not mirrored.',
        '',
      ].join('\n'),
    );
  });

  test('the JSON form carries the same actions for tools', () => {
    const json = planToJson(plan, rejected, noGroupSyncs);
    assert.deepEqual(
      json.start.map((f) => f.originTopic),
      ['new'],
    );
    assert.deepEqual(json.restart[0]?.changes, [
      { setting: 'delivery', from: 'at-least-once', to: 'exactly-once' },
    ]);
    assert.equal(json.rejected.length, 1);
  });

  test('group syncs get their own lines and count', () => {
    const groupSyncs = planGroupSyncs(
      [
        groupSync('billing-*'),
        groupSync('ledger-*', { intervalMs: 1000 }),
        groupSync('audit-*', { replication: 'renamed' }),
      ],
      [groupSync('ledger-*'), groupSync('audit-*'), groupSync('old-*')],
    );
    const text = renderPlanText(planFlows([], []), [], groupSyncs);
    assert.equal(
      text,
      [
        '+ london -> frankfurt groups [billing-*]  (start group sync, replication orders)',
        '- london -> frankfurt groups [old-*]  (stop group sync)',
        '~ london -> frankfurt groups [ledger-*]  (restart group sync)',
        '    intervalMs: 5000 -> 1000',
        '~ london -> frankfurt groups [audit-*]  (update group sync in place)',
        '    replication: orders -> renamed',
        '',
        'Plan: 0 to start, 0 to stop, 0 to restart, 0 to update in place, 0 unchanged.',
        'Group syncs: 1 to start, 1 to stop, 1 to restart, 1 to update in place, 0 unchanged.',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      planToJson(planFlows([], []), [], groupSyncs).groupSyncs.update.map((sync) => sync.replication),
      ['renamed'],
    );
  });
});

describe("the daemon's log entry of a plan it applies", () => {
  test('none for a plan that changes nothing', () => {
    assert.equal(planLogEntry(planFlows([flow('orders')], [flow('orders')]), ['discovery']), null);
  });

  test('counts in the message, keys and triggers in the fields', () => {
    const entry = planLogEntry(planFlows([flow('orders'), flow('new')], [flow('orders'), flow('gone')]), [
      'sighup',
      'discovery',
    ]);
    assert.equal(entry?.message, 'applying plan: 1 to start, 1 to stop, 0 to restart, 0 to update');
    assert.deepEqual(entry?.fields, {
      trigger: 'sighup,discovery',
      start: [flow('new').key],
      stop: [flow('gone').key],
      restart: [],
      update: [],
      unchanged: 1,
    });
  });
});
