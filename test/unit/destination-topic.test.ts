import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DestinationTopicFacts, decideDestinationTopic } from '../../src/plan/destination-topic.js';

const facts = (overrides: Partial<DestinationTopicFacts>): DestinationTopicFacts => ({
  origin: 'london',
  originTopic: 'orders',
  destination: 'frankfurt',
  destinationTopic: 'london.orders',
  groupId: 'georep.london.frankfurt.orders.london.orders',
  lineageGroupIds: ['georep.london.frankfurt.orders.london.orders.lineage'],
  laneGroupId: 'georep.london.frankfurt.prefix',
  originPartitions: 3,
  originTopicId: 'ORIGIN-NEW',
  existing: null,
  lineage: { onOrigin: null, onDestination: null },
  hasProgress: false,
  progressSeenBefore: false,
  ...overrides,
});
const matching = { partitions: 3, configDrift: null, topicId: 'COPY' };
/** What the flow stored when it last started: it copied ORIGIN-OLD or ORIGIN-NEW into COPY. */
const copiedOld = { originTopicId: 'ORIGIN-OLD', destinationTopicId: 'COPY' };
const copiedNew = { originTopicId: 'ORIGIN-NEW', destinationTopicId: 'COPY' };
const recreatedCopy = { partitions: 3, configDrift: null, topicId: 'COPY-NEW' };

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
      { existing: { ...matching, partitions: 6 } },
      'destination-topic-conflict',
    ],
    [
      'a new flow and a topic with other configs: someone else owns it',
      { existing: { ...matching, configDrift: 'retention.ms=1 (was 2)' } },
      'destination-topic-conflict',
    ],
    [
      'progress this process saw is gone and the copy exists: refuse to copy on top of it',
      { existing: matching, progressSeenBefore: true },
      'progress-lost',
    ],
    ['progress seen before and no copy: start a new copy', { progressSeenBefore: true }, 'create'],
    [
      'the origin topic was re-created (its progress went with it) and the old copy is kept: refuse to mix two histories',
      { existing: matching, lineage: { onOrigin: null, onDestination: copiedOld } },
      'origin-topic-recreated',
    ],
    [
      'the origin topic was re-created, and this process saw the progress before: the ids say which case it is',
      { existing: matching, progressSeenBefore: true, lineage: { onOrigin: null, onDestination: copiedOld } },
      'origin-topic-recreated',
    ],
    [
      'the origin topic was re-created and its copy was deleted (lineage gone with it): copy it anew',
      {},
      'create',
    ],
    [
      'the same topics as when the flow last started: go on',
      { existing: matching, hasProgress: true, lineage: { onOrigin: copiedNew, onDestination: copiedNew } },
      'adopt',
    ],
    [
      'the destination topic was re-created by someone else while the flow has progress: refuse',
      {
        existing: recreatedCopy,
        hasProgress: true,
        lineage: { onOrigin: copiedNew, onDestination: null },
      },
      'destination-topic-recreated',
    ],
    [
      'the destination topic was re-created and the progress deleted on purpose: copy from the start into it',
      { existing: recreatedCopy, lineage: { onOrigin: copiedNew, onDestination: null } },
      'adopt',
    ],
    [
      'a client that cannot tell topic ids pins nothing: as before ids',
      {
        originTopicId: null,
        existing: { ...recreatedCopy, topicId: null },
        hasProgress: true,
        lineage: { onOrigin: copiedNew, onDestination: copiedOld },
      },
      'adopt',
    ],
    [
      'flows started before georep stored lineages: as before ids',
      { existing: matching, hasProgress: true },
      'adopt',
    ],
  ];
  for (const [situation, overrides, expected] of cases) {
    const decision = decideDestinationTopic(facts(overrides));
    const outcome = decision.kind === 'refuse' ? decision.refusal.reason : decision.kind;
    assert.equal(outcome, expected, situation);
  }
});

test('only a copy re-created by someone else lets the flow forget the progress it saw', () => {
  const cases: [string, Partial<DestinationTopicFacts>, boolean][] = [
    [
      'destination topic re-created: its progress belongs to the deleted copy',
      { existing: recreatedCopy, hasProgress: true, lineage: { onOrigin: copiedNew, onDestination: null } },
      true,
    ],
    ['destination topic missing', { hasProgress: true }, false],
    ['progress lost', { existing: matching, progressSeenBefore: true }, false],
    [
      'origin topic re-created',
      { existing: matching, lineage: { onOrigin: null, onDestination: copiedOld } },
      false,
    ],
    ['a topic someone else owns', { existing: { ...matching, partitions: 6 } }, false],
  ];
  for (const [situation, overrides, forget] of cases) {
    const decision = decideDestinationTopic(facts(overrides));
    assert.equal(decision.kind === 'refuse' && decision.forgetProgressSeen, forget, situation);
    assert.equal(decision.kind, 'refuse', situation);
  }
});

test('a topic the flow wrote to is grown to the origin partitions and follows its configs', () => {
  assert.deepEqual(
    decideDestinationTopic(
      facts({
        hasProgress: true,
        existing: { ...matching, partitions: 2, configDrift: 'retention.ms=1 (was 2)' },
      }),
    ),
    { kind: 'adopt', addPartitions: true, followConfigs: true },
  );
});

test('a re-created topic is named with both ids and what to do', () => {
  const origin = decideDestinationTopic(
    facts({ existing: matching, lineage: { onOrigin: null, onDestination: copiedOld } }),
  );
  assert.match(
    origin.kind === 'refuse' ? origin.refusal.message : '',
    /^origin topic orders on london was deleted and re-created \(topic id ORIGIN-NEW; destination topic london\.orders on frankfurt holds the copy of ORIGIN-OLD\)\. .* Delete or rename london\.orders .*delete the offsets of london\.orders in consumer group georep\.london\.frankfurt\.orders\.london\.orders\.lineage on frankfurt: kafka-consumer-groups --delete-offsets/,
  );
  const inLane = decideDestinationTopic(
    facts({
      existing: matching,
      lineage: { onOrigin: null, onDestination: copiedOld },
      lineageGroupIds: [
        'georep.london.frankfurt.prefix.lineage',
        'georep.london.frankfurt.orders.london.orders.lineage',
      ],
    }),
  );
  assert.match(
    inLane.kind === 'refuse' ? inLane.refusal.message : '',
    /delete the offsets of london\.orders in consumer group georep\.london\.frankfurt\.prefix\.lineage and georep\.london\.frankfurt\.orders\.london\.orders\.lineage on frankfurt/,
    "a lane's group holds other flows' lineages: only this topic's go, also from the flow's old group",
  );
  const destination = decideDestinationTopic(
    facts({
      existing: recreatedCopy,
      hasProgress: true,
      lineage: { onOrigin: copiedNew, onDestination: null },
    }),
  );
  assert.match(
    destination.kind === 'refuse' ? destination.refusal.message : '',
    /^destination topic london\.orders on frankfurt was deleted and re-created by someone else \(topic id COPY-NEW; this flow copied into COPY\).*delete the offsets of orders in consumer group georep\.london\.frankfurt\.prefix on london/,
  );
});

test('refusals name both topics and say what to do', () => {
  const decision = decideDestinationTopic(
    facts({ existing: { partitions: 6, configDrift: null, topicId: 'COPY' } }),
  );
  assert.equal(decision.kind, 'refuse');
  assert.match(
    decision.kind === 'refuse' ? decision.refusal.message : '',
    /^destination topic london\.orders on frankfurt already exists and was not created by this flow: it has 6 partitions \(origin: 3\)\. Delete it or choose another destination name\.$/,
  );
});
