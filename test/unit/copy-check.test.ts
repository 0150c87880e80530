// The checker that crash and failover tests rely on must itself catch every kind of bad copy.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { comparePartitionCopy, compareTopicCopy } from '../integration/support/copy-check.js';

const origin = ['s0', 's1', 's2', 's3', 's4'];

describe('comparing a mirrored partition with its origin', () => {
  test('an exact copy has nothing missing, no duplicates and no replays', () => {
    const report = comparePartitionCopy(0, origin, [...origin]);
    assert.deepEqual(
      [report.missing, report.unexpected, report.firstOrderViolation, report.duplicates, report.replays],
      [[], [], null, 0, 0],
    );
  });

  test('a copy that repeated records after a crash is complete, with its duplicates and replays counted', () => {
    const report = comparePartitionCopy(0, origin, ['s0', 's1', 's2', 's1', 's2', 's3', 's2', 's3', 's4']);
    assert.deepEqual(report.missing, []);
    assert.equal(report.firstOrderViolation, null);
    assert.equal(report.duplicates, 4);
    assert.equal(report.replays, 2);
  });

  test('a record that never arrived is missing', () => {
    assert.deepEqual(comparePartitionCopy(0, origin, ['s0', 's1', 's3', 's4']).missing, ['s2']);
  });

  test('a gap that a later replay filled is not missing, and not out of order if the first copies keep order', () => {
    const report = comparePartitionCopy(0, origin, ['s0', 's1', 's2', 's0', 's1', 's2', 's3', 's4']);
    assert.deepEqual([report.missing, report.firstOrderViolation], [[], null]);
  });

  test('records whose first copies are swapped are out of order', () => {
    const report = comparePartitionCopy(0, origin, ['s0', 's2', 's1', 's3', 's4']);
    assert.deepEqual(report.firstOrderViolation, { index: 1, origin: 's1', destination: 's2' });
  });

  test('a record from another partition is unexpected', () => {
    assert.deepEqual(comparePartitionCopy(0, origin, [...origin, 'other-9']).unexpected, ['other-9']);
  });

  test('an origin that holds a value twice cannot be checked', () => {
    assert.throws(() => comparePartitionCopy(3, ['a', 'a'], []), /partition 3 holds a twice/);
  });

  test('a topic report adds up its partitions and names those out of order', () => {
    const report = compareTopicCopy(
      new Map([
        [0, ['a', 'b']],
        [1, ['c', 'd']],
      ]),
      new Map([
        [0, ['a', 'b', 'b']],
        [1, ['d', 'c']],
      ]),
    );
    assert.deepEqual(
      [report.originRecords, report.destinationRecords, report.duplicates, report.partitionsOutOfOrder],
      [4, 5, 1, [1]],
    );
  });
});
