// A reconcile plans again unless its inputs are exactly those of the last round whose plan changed nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../src/config/types.js';
import { type PlanningInputs, samePlanningInputs } from '../../src/plan/planning-inputs.js';

const config = {} as Config;

/** The listing of origin paris: `orders:3` is topic orders of 3 partitions. */
function paris(...topics: string[]): PlanningInputs['listings'] {
  return new Map([
    [
      'paris',
      topics.map((topic) => {
        const [name, partitions] = topic.split(':') as [string, string];
        return { name, partitions: Number(partitions) };
      }),
    ],
  ]);
}

const last: PlanningInputs = {
  config,
  credentialChangeCounts: new Map([['paris', 1]]),
  listings: paris('orders:3', 'payments:1'),
  runningGeneration: 4,
};

const cases: { name: string; next: Partial<PlanningInputs>; same: boolean }[] = [
  {
    name: 'equal counts and listings in new objects',
    next: {
      credentialChangeCounts: new Map([['paris', 1]]),
      listings: paris('orders:3', 'payments:1'),
    },
    same: true,
  },
  {
    name: 'another config object (a reload, even of the same file)',
    next: { config: {} as Config },
    same: false,
  },
  { name: 'a flow started, stopped or updated since', next: { runningGeneration: 5 }, same: false },
  {
    name: "a cluster's credentials changed",
    next: { credentialChangeCounts: new Map([['paris', 2]]) },
    same: false,
  },
  {
    name: 'a new topic on the origin',
    next: {
      listings: paris('orders:3', 'payments:1', 'refunds:1'),
    },
    same: false,
  },
  {
    name: 'a topic that grew',
    next: {
      listings: paris('orders:4', 'payments:1'),
    },
    same: false,
  },
  {
    name: 'a topic deleted and another created under the same count',
    next: {
      listings: paris('orders:3', 'refunds:1'),
    },
    same: false,
  },
  {
    name: 'an origin listed for the first time',
    next: { listings: new Map([...last.listings, ['tokyo', []]]) },
    same: false,
  },
];

for (const { name, next, same } of cases) {
  test(`${same ? 'the same inputs' : 'planned again'}: ${name}`, () => {
    assert.equal(samePlanningInputs(last, { ...last, ...next }), same);
  });
}

test('the first round always plans', () => {
  assert.equal(samePlanningInputs(null, last), false);
});
