import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type FlowSpec, flowKey } from '../../src/plan/flow-spec.js';
import { planFlows } from '../../src/plan/plan.js';
import { planToJson, renderPlanText } from '../../src/plan/render-plan.js';

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
    restartSettings: {
      originConnection: 'o',
      destinationConnection: 'd',
      originCredentials: 0,
      destinationCredentials: 0,
      delivery: 'at-least-once',
      compression: 'origin',
      loopPrevention: 'none',
      replicationFactor: 'auto',
      topicConfigExclude: '',
      consumerGroupId: `georep.${topic}`,
    },
    ...overrides,
  };
}

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
      renderPlanText(plan, rejected),
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
    const json = planToJson(plan, rejected);
    assert.deepEqual(
      json.start.map((f) => f.originTopic),
      ['new'],
    );
    assert.deepEqual(json.restart[0]?.changes, [
      { setting: 'delivery', from: 'at-least-once', to: 'exactly-once' },
    ]);
    assert.equal(json.rejected.length, 1);
  });
});
