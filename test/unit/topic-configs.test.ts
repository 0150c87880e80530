import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { destinationTopicConfigs, topicConfigDrift } from '../../src/plan/topic-configs.js';

const origin = [
  { name: 'retention.ms', value: '604800000', setOnTopic: true },
  { name: 'cleanup.policy', value: 'compact', setOnTopic: true },
  { name: 'min.insync.replicas', value: '2', setOnTopic: true },
  { name: 'message.timestamp.type', value: 'LogAppendTime', setOnTopic: true },
  { name: 'segment.bytes', value: '1073741824', setOnTopic: false },
  { name: 'max.message.bytes', value: '2097152', setOnTopic: true },
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
      { name: 'cleanup.policy', value: 'compact', setOnTopic: true },
      { name: 'retention.ms', value: '86400000', setOnTopic: true },
      { name: 'segment.bytes', value: '1073741824', setOnTopic: false },
    ];
    assert.deepEqual(topicConfigDrift(desired, destination, []), { changed: [], removed: [] });
  });

  test('names changed, missing and no-longer-set keys, and leaves excluded keys alone', () => {
    const destination = [
      { name: 'retention.ms', value: '604800000', setOnTopic: true },
      { name: 'max.message.bytes', value: '2097152', setOnTopic: true },
      { name: 'min.insync.replicas', value: '2', setOnTopic: true },
      { name: 'retention.bytes', value: '1000', setOnTopic: true },
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
