import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatLineage,
  lineageGroupId,
  lineageOf,
  lineageToStore,
  parseLineage,
  sameLineage,
} from '../../src/plan/topic-lineage.js';

test('a lineage survives its metadata string', () => {
  const lineage = { originTopicId: 'kXYz3q9JRhKl8xZ0pQ1w2A', destinationTopicId: '90wfbTyVTfWR2fjQ5cO6yQ' };
  assert.deepEqual(parseLineage(formatLineage(lineage)), lineage);
  assert.ok(sameLineage(parseLineage(formatLineage(lineage)), lineage));
});

test('metadata georep did not write is no lineage', () => {
  for (const metadata of [
    null,
    undefined,
    '',
    'hello',
    '{}',
    '[1]',
    '{"format":"other","origin":"a","destination":"b"}',
  ]) {
    assert.equal(parseLineage(metadata), null, String(metadata));
  }
});

test('without both ids there is nothing to pin', () => {
  assert.equal(lineageOf(null, 'b'), null);
  assert.equal(lineageOf('a', null), null);
  assert.equal(sameLineage(null, null), false);
});

test('the lineage group sits beside a lane group as beside a flow group', () => {
  assert.equal(lineageGroupId('georep.london.frankfurt.prefix'), 'georep.london.frankfurt.prefix.lineage');
  assert.equal(
    lineageGroupId('georep.london.frankfurt.orders.london.orders'),
    'georep.london.frankfurt.orders.london.orders.lineage',
  );
});

test('a lineage is written where the lineage group does not hold it already', () => {
  const pinned = { originTopicId: 'ORIGIN', destinationTopicId: 'COPY' };
  const other = { originTopicId: 'ORIGIN-OLD', destinationTopicId: 'COPY' };
  const cases = [
    { why: 'the lane group holds the same lineage', lineage: pinned, fromPreviousGroup: false, write: false },
    { why: 'nothing is stored anywhere', lineage: null, fromPreviousGroup: false, write: true },
    { why: 'the lane group holds another lineage', lineage: other, fromPreviousGroup: false, write: true },
    {
      why: 'the same lineage, read from the old flow group',
      lineage: pinned,
      fromPreviousGroup: true,
      write: true,
    },
    {
      why: 'another lineage, read from the old flow group',
      lineage: other,
      fromPreviousGroup: true,
      write: true,
    },
  ];
  for (const { why, lineage, fromPreviousGroup, write } of cases) {
    assert.equal(lineageToStore({ lineage, fromPreviousGroup }, pinned), write, why);
  }
});
