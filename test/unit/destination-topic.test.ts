import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DestinationTopicFacts, decideDestinationTopic } from '../../src/plan/destination-topic.js';

const facts = (overrides: Partial<DestinationTopicFacts>): DestinationTopicFacts => ({
  origin: 'london',
  originTopic: 'orders',
  destination: 'frankfurt',
  destinationTopic: 'london.orders',
  groupId: 'georep.london.frankfurt.orders.london.orders',
  originPartitions: 3,
  existing: null,
  hasProgress: false,
  progressSeenBefore: false,
  originRecreatedAtMs: undefined,
  ...overrides,
});
const matching = { partitions: 3, configDrift: null };

test('what a flow does with its destination topic, by what it found', () => {
  const cases: [string, Partial<DestinationTopicFacts>, string][] = [
    ['a new flow and no topic: create it', {}, 'create'],
    ['a new flow and a matching topic: adopt it', { existing: matching }, 'adopt'],
    ['a flow with progress and its topic: use it', { existing: matching, hasProgress: true }, 'adopt'],
    [
      'a flow with progress whose topic vanished: refuse (re-creating leaves a gap)',
      { hasProgress: true },
      'destination-topic-missing',
    ],
    [
      'a new flow and a topic with other partitions: someone else owns it',
      { existing: { partitions: 6, configDrift: null } },
      'destination-topic-conflict',
    ],
    [
      'a new flow and a topic with other configs: someone else owns it',
      { existing: { partitions: 3, configDrift: 'retention.ms=1 (was 2)' } },
      'destination-topic-conflict',
    ],
    [
      'progress this process saw is gone and the copy exists: refuse to copy on top of it',
      { existing: matching, progressSeenBefore: true },
      'progress-lost',
    ],
    ['progress seen before and no copy: start a new copy', { progressSeenBefore: true }, 'create'],
    [
      'the origin topic came back and the old copy is kept: refuse to mix two histories',
      { existing: matching, hasProgress: true, originRecreatedAtMs: 1_700_000_000_000 },
      'origin-topic-recreated',
    ],
    [
      'the origin topic came back and its copy was deleted: copy it anew',
      { originRecreatedAtMs: 1_700_000_000_000 },
      'create',
    ],
  ];
  for (const [situation, overrides, expected] of cases) {
    const decision = decideDestinationTopic(facts(overrides));
    const outcome = decision.kind === 'refuse' ? decision.refusal.reason : decision.kind;
    assert.equal(outcome, expected, situation);
  }
});

test('a topic the flow wrote to is grown to the origin partitions and follows its configs', () => {
  assert.deepEqual(
    decideDestinationTopic(
      facts({ hasProgress: true, existing: { partitions: 2, configDrift: 'retention.ms=1 (was 2)' } }),
    ),
    { kind: 'adopt', addPartitions: true, followConfigs: true },
  );
});

test('refusals name both topics and say what to do', () => {
  const decision = decideDestinationTopic(facts({ existing: { partitions: 6, configDrift: null } }));
  assert.equal(decision.kind, 'refuse');
  assert.match(
    decision.kind === 'refuse' ? decision.refusal.message : '',
    /^destination topic london\.orders on frankfurt already exists and was not created by this flow: it has 6 partitions \(origin: 3\)\. Delete it or choose another destination name\.$/,
  );
});
