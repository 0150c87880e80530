import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TopicListing } from '../../src/plan/desired-flows.js';
import {
  flowsOfDeletedOriginTopics,
  type OriginTopicOf,
  recreatedOriginTopics,
} from '../../src/plan/origin-topic-changes.js';

function flow(originTopicKey: string, destination = 'frankfurt'): OriginTopicOf & { destination: string } {
  const [origin, originTopic] = originTopicKey.split('/') as [string, string];
  return { origin, originTopic, destination };
}

function listings(entries: Record<string, string[]>): Map<string, TopicListing[]> {
  return new Map(
    Object.entries(entries).map(([cluster, names]) => [
      cluster,
      names.map((name) => ({ name, partitions: 1 })),
    ]),
  );
}

const deletedCases: {
  name: string;
  stopping: string[];
  listed: Record<string, string[]>;
  notListed?: string[];
  deleted: string[];
}[] = [
  {
    name: 'a stopping flow whose topic is missing from its listed origin',
    stopping: ['london/orders'],
    listed: { london: ['payments'] },
    deleted: ['london/orders'],
  },
  {
    name: 'a stopping flow whose topic is still listed (its replication no longer selects it)',
    stopping: ['london/orders'],
    listed: { london: ['orders'] },
    deleted: [],
  },
  {
    name: 'an origin that could not be listed this round: its old listing proves nothing',
    stopping: ['london/orders'],
    listed: { london: ['payments'] },
    notListed: ['london'],
    deleted: [],
  },
  {
    name: 'an origin never listed',
    stopping: ['london/orders'],
    listed: {},
    deleted: [],
  },
  {
    name: 'only the flows of missing topics, each of them, in order',
    stopping: ['london/orders', 'paris/audit', 'london/refunds', 'paris/invoices'],
    listed: { london: ['refunds'], paris: ['audit'] },
    deleted: ['london/orders', 'paris/invoices'],
  },
  { name: 'nothing stopping', stopping: [], listed: { london: [] }, deleted: [] },
];

for (const c of deletedCases) {
  test(`deleted origin topics: ${c.name}`, () => {
    const found = flowsOfDeletedOriginTopics(
      c.stopping.map((key) => flow(key)),
      listings(c.listed),
      new Set(c.notListed ?? []),
    );
    assert.deepEqual(
      found.map((f) => `${f.origin}/${f.originTopic}`),
      c.deleted,
    );
  });
}

const recreatedCases: {
  name: string;
  starting: ReturnType<typeof flow>[];
  deletedAtMs: Record<string, number>;
  recreated: string[];
}[] = [
  {
    name: 'a starting flow of a topic seen deleted, with when it was seen',
    starting: [flow('london/orders')],
    deletedAtMs: { 'london/orders': 1000 },
    recreated: ['london/orders -> frankfurt at 1000'],
  },
  {
    name: 'a starting flow of a topic never seen deleted',
    starting: [flow('london/orders')],
    deletedAtMs: { 'london/payments': 1000 },
    recreated: [],
  },
  {
    name: 'the same name on another origin is another topic',
    starting: [flow('paris/orders')],
    deletedAtMs: { 'london/orders': 1000 },
    recreated: [],
  },
  {
    name: 'a topic copied to two destinations is named once, with its first flow',
    starting: [flow('london/orders', 'frankfurt'), flow('london/orders', 'dublin'), flow('london/audit')],
    deletedAtMs: { 'london/orders': 1000, 'london/audit': 2000 },
    recreated: ['london/orders -> frankfurt at 1000', 'london/audit -> frankfurt at 2000'],
  },
];

for (const c of recreatedCases) {
  test(`re-created origin topics: ${c.name}`, () => {
    const found = recreatedOriginTopics(c.starting, new Map(Object.entries(c.deletedAtMs)));
    assert.deepEqual(
      found.map((r) => `${r.flow.origin}/${r.flow.originTopic} -> ${r.flow.destination} at ${r.deletedAtMs}`),
      c.recreated,
    );
  });
}
