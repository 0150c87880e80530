import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FlowProgress } from '../../src/runtime/flow-progress.js';

function progressAt(startMs: number) {
  const clock = { nowMs: startMs };
  const progress = new FlowProgress(() => clock.nowMs, { staleAfterMs: 12_500, rateWindowMs: 10_000 });
  return { clock, progress };
}

describe('a flow’s progress', () => {
  test('lag is the sum over held partitions of end offset minus position', () => {
    const { progress } = progressAt(0);
    progress.assigned([0, 1]);
    progress.batchCopied(0, 100n, 150n, 100);
    progress.batchCopied(1, 40n, 40n, 40);
    assert.equal(progress.summary().lag, 50);
    assert.deepEqual(
      progress.partitions().map((p) => [p.partition, p.position, p.endOffset, p.lag]),
      [
        [0, '100', '150', 50],
        [1, '40', '40', 0],
      ],
    );
  });

  test('a batch that finishes after its partition moved away counts as copied but does not bring the partition back', () => {
    const { progress } = progressAt(0);
    progress.assigned([0, 1]);
    progress.batchCopied(0, 100n, 150n, 100);
    progress.assigned([1]);
    progress.batchCopied(0, 120n, 150n, 20);
    assert.deepEqual(progress.heldPartitions(), [1]);
    assert.deepEqual(
      progress.partitions().map((p) => p.partition),
      [1],
    );
  });

  test('the lag the gauge shows after each batch is the summary’s, unknown while any partition is', () => {
    const cases: [string, (progress: FlowProgress, clock: { nowMs: number }) => void, number | null][] = [
      ['no partition held', () => {}, null],
      [
        'every partition known',
        (progress) => {
          progress.assigned([0, 1]);
          progress.batchCopied(0, 100n, 150n, 100);
          progress.batchCopied(1, 40n, 42n, 40);
        },
        52,
      ],
      [
        'one partition without a position',
        (progress) => {
          progress.assigned([0, 1]);
          progress.batchCopied(0, 100n, 150n, 100);
        },
        null,
      ],
      [
        'end offsets too old',
        (progress, clock) => {
          progress.assigned([0]);
          progress.batchCopied(0, 100n, 150n, 100);
          clock.nowMs += 12_501;
        },
        null,
      ],
    ];
    for (const [name, arrange, expected] of cases) {
      const { clock, progress } = progressAt(0);
      arrange(progress, clock);
      assert.equal(progress.lag(), expected, name);
      assert.equal(progress.summary().lag, expected, name);
    }
  });

  test('the time lag is the longest time since the newest record copied, over the partitions with lag', () => {
    const { clock, progress } = progressAt(100_000);
    progress.assigned([0, 1, 2]);
    progress.batchCopied(0, 100n, 150n, 100, 90_000); // 50 behind, newest copied record written at 90 s
    progress.batchCopied(1, 40n, 45n, 40, 95_000); // 5 behind, at 95 s
    progress.batchCopied(2, 10n, 10n, 10, 20_000); // caught up: its old timestamp does not count
    assert.equal(progress.summary().timeLagMs, 10_000);
    clock.nowMs = 101_000;
    progress.batchCopied(0, 150n, 150n, 50, 99_500);
    assert.equal(progress.summary().timeLagMs, 6_000, 'partition 1 is now the one furthest behind');
    progress.batchCopied(1, 45n, 45n, 5, 96_000);
    assert.equal(progress.summary().timeLagMs, 0, 'no lag, no time lag');
  });

  test('the time lag is unknown while a partition with lag has copied nothing in this process', () => {
    const { progress } = progressAt(0);
    progress.assigned([0]);
    progress.endOffsetsLearned([{ partition: 0, latest: 7n }], 0);
    progress.positionLearned(0, 5n);
    assert.deepEqual([progress.summary().lag, progress.summary().timeLagMs], [2, null]);
  });

  test('is unknown while any held partition has no position or end offset yet', () => {
    const { progress } = progressAt(0);
    progress.assigned([0, 1]);
    progress.batchCopied(0, 10n, 10n, 10);
    assert.equal(progress.summary().lag, null);
    progress.endOffsetsLearned([{ partition: 1, latest: 7n }], 0);
    assert.equal(progress.summary().lag, null, 'partition 1 has no position');
    progress.positionLearned(1, 5n);
    assert.equal(progress.summary().lag, 2);
  });

  test('a lag whose end offsets could not be refreshed becomes unknown, with the age of the last figure', () => {
    const { clock, progress } = progressAt(1_000_000);
    progress.assigned([0]);
    progress.batchCopied(0, 500n, 500n, 500);
    assert.equal(progress.summary().lag, 0, 'a fresh 0');
    clock.nowMs += 12_000;
    assert.equal(progress.summary().lag, 0, 'still within the staleness bound');
    clock.nowMs += 1_000;
    assert.deepEqual(
      [progress.summary().lag, progress.summary().lagMeasuredAtMs],
      [null, 1_000_000],
      'never a stale 0',
    );
    progress.endOffsetsLearned([{ partition: 0, latest: 900n }], clock.nowMs);
    assert.equal(progress.summary().lag, 400);
  });

  test('the rate is measured over the window and falls to 0 when nothing was copied in it', () => {
    const { clock, progress } = progressAt(0);
    progress.assigned([0]);
    for (let second = 0; second < 10; second++) {
      clock.nowMs = second * 1_000;
      progress.batchCopied(0, BigInt((second + 1) * 2_000), 100_000n, 2_000);
    }
    assert.equal(
      progress.summary().recordsPerSecond,
      2_222,
      '20,000 records over the 9 s since the first batch',
    );
    clock.nowMs = 19_500;
    assert.equal(progress.summary().recordsPerSecond, 0);
    assert.equal(progress.summary().lastBatchAtMs, 9_000);
  });

  test('one batch just copied reads as its records over one second, not as a burst', () => {
    const { progress } = progressAt(0);
    progress.assigned([0]);
    progress.batchCopied(0, 300n, 300n, 300);
    assert.equal(progress.summary().recordsPerSecond, 300);
  });

  test('a reassignment keeps what is known of the partitions kept and forgets the others', () => {
    const { progress } = progressAt(0);
    progress.assigned([0, 1]);
    progress.batchCopied(0, 10n, 12n, 10);
    progress.batchCopied(1, 20n, 20n, 20);
    progress.assigned([1, 2]);
    assert.deepEqual(
      progress.partitions().map((p) => [p.partition, p.position]),
      [
        [1, '20'],
        [2, null],
      ],
    );
    assert.deepEqual(progress.partitionsWithoutPosition(), [2]);
  });

  test('a commit never moves a position back', () => {
    const { progress } = progressAt(0);
    progress.assigned([0]);
    progress.batchCopied(0, 50n, 60n, 50);
    progress.committed(0, 40n);
    assert.equal(progress.partitions()[0]?.position, '50');
    progress.committed(0, 55n);
    assert.equal(progress.partitions()[0]?.position, '55');
  });
});
