import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PartitionOffsetMap, translateOffset } from '../../src/runtime/offset-map.js';

/** Origin offsets from..to-1. */
function range(from: number, to: number): bigint[] {
  return Array.from({ length: to - from }, (_, index) => BigInt(from + index));
}

/** A map fed with writes: [origin offsets, destination first offset, next origin offset]. */
function mapAfter(writes: readonly [readonly bigint[], number, number][], maxSegments?: number) {
  const map = new PartitionOffsetMap(null, maxSegments);
  for (const [origin, destinationFirst, next] of writes) {
    map.recordWrite(
      origin,
      origin.map((_, index) => BigInt(destinationFirst + index)),
      BigInt(next),
    );
  }
  return map;
}

function translations(map: PartitionOffsetMap, origins: readonly number[]): (number | null)[] {
  return origins.map((origin) => {
    const translated = map.translate(BigInt(origin));
    return translated === null ? null : Number(translated);
  });
}

describe('translating a committed origin offset to the destination', () => {
  test('steady state: batches that follow each other on both sides are one exact segment', () => {
    const map = mapAfter([
      [range(0, 10), 0, 10],
      [range(10, 25), 10, 25],
    ]);
    assert.equal(map.data().segments.length, 1);
    assert.deepEqual(translations(map, [0, 7, 10, 24]), [0, 7, 10, 24]);
  });

  test('the destination topic already held records: offsets shift by the same amount', () => {
    const map = mapAfter([[range(0, 5), 100, 5]]);
    assert.deepEqual(translations(map, [0, 3, 5]), [100, 103, 105]);
  });

  test('a gap on the origin (transaction markers, aborted records) maps to the next copied record', () => {
    // Transactions of 3 records, each followed by its commit marker: origin 0-2, marker 3, 4-6, marker 7.
    const map = mapAfter([
      [[0n, 1n, 2n, 4n, 5n, 6n], 0, 8],
      [[8n, 9n], 6, 11],
    ]);
    assert.deepEqual(translations(map, [0, 2, 3, 4, 6, 7, 8, 9, 10, 11]), [0, 2, 3, 3, 5, 6, 6, 7, 8, 8]);
  });

  test('a restart that resumes from the committed offset: the newest copy wins, nothing is skipped', () => {
    // First run copied 0-19 and committed only 10; the restart copies 10-29 again from destination 20.
    const map = mapAfter([
      [range(0, 20), 0, 20],
      [range(10, 30), 20, 30],
    ]);
    assert.deepEqual(translations(map, [5, 9, 10, 15, 29]), [5, 9, 20, 25, 39]);
  });

  test('a group ahead of the mirror gets the mirror position on the destination', () => {
    const map = mapAfter([[range(0, 10), 0, 10]]);
    assert.deepEqual(translations(map, [10, 11, 500]), [10, 10, 10]);
  });

  test('an offset older than the segments kept has no translation', () => {
    // Every write is one transaction followed by its marker, so every write starts a segment; 3 are kept.
    const map = mapAfter(
      [0, 1, 2, 3, 4].map((transaction) => [[BigInt(transaction * 2)], transaction, transaction * 2 + 2]),
      3,
    );
    assert.equal(map.data().segments.length, 3);
    assert.deepEqual(translations(map, [0, 3, 4, 5, 8, 9, 10]), [null, null, 2, 3, 4, 5, 5]);
  });

  test('nothing copied yet: no translation', () => {
    assert.equal(new PartitionOffsetMap(null).translate(0n), null);
  });

  test('records written by someone else in between: the origin jump is not taken for an empty gap', () => {
    // Origin 0-4 at destination 0-4; another writer appended 5-9; origin 8-9 then landed at 10-11.
    const map = new PartitionOffsetMap(null);
    map.recordWrite(range(0, 5), range(0, 5), 5n);
    map.recordWrite([8n, 9n], [10n, 11n], 10n);
    assert.deepEqual(translations(map, [4, 5, 7, 8, 10]), [4, null, null, 10, 12]);
  });

  test('after a reload from persisted data, translation continues exactly where the last run stopped', () => {
    const persisted = mapAfter([[range(0, 10), 0, 10]]).data();
    const map = new PartitionOffsetMap(persisted);
    map.recordWrite(range(10, 15), range(10, 15), 15n);
    assert.equal(map.data().segments.length, 1);
    assert.deepEqual(translations(map, [5, 10, 14, 15]), [5, 10, 14, 15]);
  });

  test('after a reload, what a crashed run wrote without saving it is never skipped', () => {
    // Persisted: origin 0-9 at 0-9. The crashed run then wrote origin 10-19 at 10-19 without saving that and
    // committed 20; the new run copies from origin 20, which lands at destination 20.
    const map = new PartitionOffsetMap(mapAfter([[range(0, 10), 0, 10]]).data());
    map.recordWrite(range(20, 25), range(20, 25), 25n);
    assert.deepEqual(translations(map, [5, 9, 10, 15, 20, 25]), [5, 9, null, null, 20, 25]);
  });

  test('a batch whose records were all dropped moves the progress but proves no gap', () => {
    const map = mapAfter([[range(0, 5), 0, 5]]);
    map.recordSkipped(9n);
    assert.deepEqual(translations(map, [4, 5, 8, 9]), [4, null, null, 5]);
  });

  test('translateOffset is a plain function of the persisted data', () => {
    const data = mapAfter([
      [range(0, 3), 40, 4],
      [range(4, 6), 43, 6],
    ]).data();
    assert.deepEqual(JSON.parse(JSON.stringify(data, (_, v) => (typeof v === 'bigint' ? String(v) : v))), {
      segments: [
        { originStart: '0', destinationStart: '40', recordCount: 3, originCoveredEnd: '4' },
        { originStart: '4', destinationStart: '43', recordCount: 2, originCoveredEnd: '6' },
      ],
      originProgress: '6',
      destinationEnd: '45',
    });
    assert.equal(translateOffset(data, 3n), 43n);
  });
});
