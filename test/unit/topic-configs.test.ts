import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeConfigDrift,
  destinationTopicConfigs,
  nextConfigSyncShare,
  planTopicConfigSync,
  topicConfigDrift,
  topicConfigUpdate,
} from '../../src/plan/topic-configs.js';

const origin = [
  { name: 'retention.ms', value: '604800000', source: 'topic' as const },
  { name: 'cleanup.policy', value: 'compact', source: 'topic' as const },
  { name: 'min.insync.replicas', value: '2', source: 'topic' as const },
  { name: 'message.timestamp.type', value: 'LogAppendTime', source: 'topic' as const },
  { name: 'segment.bytes', value: '1073741824', source: 'default' as const },
  { name: 'max.message.bytes', value: '2097152', source: 'topic' as const },
];

describe('destinationTopicConfigs', () => {
  test('copies what is set on the origin topic, minus the built-in and the replication excludes', () => {
    assert.deepEqual(destinationTopicConfigs(origin, ['retention.ms']), {
      'cleanup.policy': 'compact',
      'max.message.bytes': '2097152',
    });
  });

  test('keeps LogAppendTime off the destination so the origin timestamps survive', () => {
    assert.equal('message.timestamp.type' in destinationTopicConfigs(origin, []), false);
  });
});

describe('topicConfigDrift', () => {
  const desired = { 'cleanup.policy': 'compact', 'retention.ms': '86400000' };

  test('is empty when the destination matches', () => {
    const destination = [
      { name: 'cleanup.policy', value: 'compact', source: 'topic' as const },
      { name: 'retention.ms', value: '86400000', source: 'topic' as const },
      { name: 'segment.bytes', value: '1073741824', source: 'default' as const },
    ];
    assert.deepEqual(topicConfigDrift(desired, destination, []), { changed: [], removed: [] });
  });

  test('names changed, missing and no-longer-set keys, and leaves excluded keys alone', () => {
    const destination = [
      { name: 'retention.ms', value: '604800000', source: 'topic' as const },
      { name: 'max.message.bytes', value: '2097152', source: 'topic' as const },
      { name: 'min.insync.replicas', value: '2', source: 'topic' as const },
      { name: 'retention.bytes', value: '1000', source: 'topic' as const },
    ];
    assert.deepEqual(topicConfigDrift(desired, destination, ['retention.bytes']), {
      changed: [
        { name: 'cleanup.policy', from: null, to: 'compact' },
        { name: 'retention.ms', from: '604800000', to: '86400000' },
      ],
      removed: ['max.message.bytes'],
    });
  });
});

describe('topicConfigUpdate', () => {
  test('is null when the destination already follows the origin', () => {
    const destination = [
      { name: 'cleanup.policy', value: 'compact', source: 'topic' as const },
      { name: 'max.message.bytes', value: '2097152', source: 'topic' as const },
      { name: 'retention.ms', value: '604800000', source: 'topic' as const },
    ];
    assert.equal(topicConfigUpdate(origin, destination, []), null);
  });

  test('writes the origin values and keeps excluded keys set only on the destination', () => {
    const changedOrigin = origin.map((entry) =>
      entry.name === 'retention.ms' ? { ...entry, value: '3600000' } : entry,
    );
    const destination = [
      { name: 'cleanup.policy', value: 'compact', source: 'topic' as const },
      { name: 'max.message.bytes', value: '2097152', source: 'topic' as const },
      { name: 'retention.ms', value: '604800000', source: 'topic' as const },
      { name: 'min.insync.replicas', value: '3', source: 'topic' as const },
      { name: 'retention.bytes', value: '5000', source: 'topic' as const },
      { name: 'segment.ms', value: '1000', source: 'topic' as const },
    ];
    const update = topicConfigUpdate(changedOrigin, destination, ['retention.bytes']);
    assert.ok(update);
    assert.deepEqual(update.drift, {
      changed: [{ name: 'retention.ms', from: '604800000', to: '3600000' }],
      removed: ['segment.ms'],
    });
    // Incremental: the drifted key is set, the one the origin dropped removed; every other key, such as the
    // excluded retention.bytes set only on the destination, is left as it is.
    assert.deepEqual(
      { set: Object.fromEntries(update.changes.set), remove: update.changes.remove },
      { set: { 'retention.ms': '3600000' }, remove: ['segment.ms'] },
    );
    assert.equal(
      describeConfigDrift(update.drift),
      'retention.ms=3600000 (was 604800000), segment.ms unset (no longer set on the origin)',
    );
  });
});

describe('planTopicConfigSync', () => {
  const flow = (topic: string) => ({
    key: `london/${topic} -> frankfurt/london.${topic}`,
    origin: 'london',
    originTopic: topic,
    destination: 'frankfurt',
    destinationTopic: `london.${topic}`,
    topicConfigExclude: [],
  });
  const compact = [{ name: 'cleanup.policy', value: 'compact', source: 'topic' as const }];
  const described = new Map([
    [
      'london',
      new Map([
        ['orders', compact],
        ['payments', compact],
      ]),
    ],
    [
      'frankfurt',
      new Map([
        ['london.orders', compact],
        ['london.payments', []],
      ]),
    ],
  ]);

  test('updates only the destination topics that drifted', () => {
    const updates = planTopicConfigSync([flow('orders'), flow('payments')], described);
    assert.deepEqual(
      updates.map(({ flow, update }) => [flow.originTopic, Object.fromEntries(update.changes.set)]),
      [['payments', { 'cleanup.policy': 'compact' }]],
    );
  });

  test('skips a flow whose topic was not described this round (deleted since the listing)', () => {
    assert.deepEqual(planTopicConfigSync([flow('audit')], described), []);
  });
});

describe('nextConfigSyncShare: the flows one discovery round compares', () => {
  const keys = ['e', 'a', 'c', 'b', 'd'];
  const cases: [string, readonly string[], string | null, number, readonly string[]][] = [
    ['no more flows than the share: all of them, every round', keys, 'c', 5, ['a', 'b', 'c', 'd', 'e']],
    ['the first round starts at the first key', keys, null, 2, ['a', 'b']],
    ['the next round goes on after the last key', keys, 'b', 2, ['c', 'd']],
    ['the share wraps around to the first keys', keys, 'd', 2, ['e', 'a']],
    ['after the last key: from the start', keys, 'e', 2, ['a', 'b']],
    ['a last key removed since: the keys after where it was', ['a', 'b', 'd', 'e'], 'c', 2, ['d', 'e']],
    ['no flows: nothing', [], 'c', 2, []],
  ];
  for (const [name, given, afterKey, maxFlows, expected] of cases) {
    test(name, () => {
      const share = nextConfigSyncShare(given, afterKey, maxFlows);
      assert.deepEqual(share.keys, expected);
      assert.equal(share.lastKey, expected.at(-1) ?? null);
    });
  }

  test('every flow comes up within ceil(flows / share) rounds', () => {
    const many = Array.from({ length: 10 }, (_, index) => `flow-${index}`);
    const seen = new Set<string>();
    let lastKey: string | null = 'flow-4';
    for (let round = 0; round < Math.ceil(many.length / 3); round++) {
      const share = nextConfigSyncShare(many, lastKey, 3);
      for (const key of share.keys) seen.add(key);
      lastKey = share.lastKey;
    }
    assert.equal(seen.size, many.length);
  });
});
