import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLineage, lineageOf, parseLineage, sameLineage } from '../../src/plan/topic-lineage.js';

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
