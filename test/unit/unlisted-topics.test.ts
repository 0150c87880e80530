import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TopicListing } from '../../src/plan/desired-flows.js';
import { describeUnlisted, unlistedTopics } from '../../src/plan/unlisted-topics.js';
import { compiled } from './config/helpers.js';

const config = compiled(`
clusters:
  london: { bootstrap: ["lon:9092"] }
  frankfurt: { bootstrap: ["fra:9092"] }
replications:
  - name: orders
    origin: london
    destinations: [frankfurt]
    topics: { include: [payments, refunds, "orders.*", audit, georep.own], exclude: [audit] }
  - origin: frankfurt
    destinations: [london]
    topics: { include: [invoices] }
`);

function listings(entries: Record<string, string[]>): Map<string, TopicListing[]> {
  return new Map(
    Object.entries(entries).map(([cluster, names]) => [
      cluster,
      names.map((name) => ({ name, partitions: 1 })),
    ]),
  );
}

test('a topic named literally but not listed by its origin is reported with where it is named', () => {
  const unlisted = unlistedTopics(config, listings({ london: ['payments', 'orders.created'] }));
  // refunds: hidden or missing. Patterns, excluded names and georep's own topics are not reported; frankfurt
  // was not listed, so its invoices say nothing.
  assert.deepEqual(
    unlisted.map(
      (entry) => `${entry.replication} ${entry.origin}/${entry.topic} line ${entry.position.line}`,
    ),
    ['orders london/refunds line 9'],
  );
  assert.match(
    describeUnlisted(unlisted[0]!),
    /^topic refunds \(replication orders, .*:9:\d+\) is not listed by origin london: it does not exist, or georep's principal has no ACL to Describe it/,
  );
});

test('nothing is reported once every named topic is listed', () => {
  assert.deepEqual(
    unlistedTopics(config, listings({ london: ['payments', 'refunds'], frankfurt: ['invoices'] })),
    [],
  );
});
