import assert from 'node:assert/strict';
import { test } from 'node:test';
import { desiredGroupSyncs, groupSyncIdentity } from '../../src/plan/group-syncs.js';
import { parse } from './config/helpers.js';

function syncsOf(text: string) {
  const loaded = parse(text);
  assert.ok(loaded.ok, JSON.stringify(loaded.ok ? null : loaded.issues));
  return desiredGroupSyncs(loaded.config);
}

const base = `clusters:
  london: { bootstrap: [a:9092] }
  paris: { bootstrap: [b:9092] }
  dublin: { bootstrap: [c:9092] }
replications:
  - origin: london
    destinations: [paris, dublin]
    topics: { include: [orders] }
    groups: { include: ["billing-*"] }
  - origin: london
    destinations: [paris]
    topics: { include: [audit] }
`;

test('one group sync per destination of each replication that names groups', () => {
  assert.deepEqual(
    syncsOf(base).map((spec) => [spec.key, spec.origin, spec.destination, spec.intervalMs]),
    [
      ['london->paris,dublin->paris', 'london', 'paris', 5000],
      ['london->paris,dublin->dublin', 'london', 'dublin', 5000],
    ],
  );
});

test('moving the replication in the file keeps the identity; changing the patterns changes it', () => {
  const [before] = syncsOf(base);
  const [moved] = syncsOf(base.replace('replications:\n', 'replications:\n\n\n'));
  const [changed] = syncsOf(base.replace('"billing-*"', '"billing-*", ledger'));
  assert.ok(before && moved && changed);
  assert.equal(groupSyncIdentity(moved), groupSyncIdentity(before));
  assert.notEqual(groupSyncIdentity(changed), groupSyncIdentity(before));
});
