import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { destinationTopicConfigs, topicConfigDrift } from '../../src/plan/topic-configs.js';

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
