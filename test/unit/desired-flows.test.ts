import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  desiredFlowSteps,
  desiredFlows,
  prefixOriginChain,
  type TopicListing,
} from '../../src/plan/desired-flows.js';
import { planFlows } from '../../src/plan/plan.js';
import { compiled } from './config/helpers.js';

const clusters = `
clusters:
  london: { bootstrap: ["lon:9092"] }
  frankfurt: { bootstrap: ["fra:9092"] }
  dublin: { bootstrap: ["dub:9092"] }
`;

function topics(...names: string[]): TopicListing[] {
  return names.map((name) => ({ name, partitions: 3 }));
}

/** Flows as `origin/topic -> destination/topic` lines, which is what an operator would read. */
function flowsOf(yaml: string, listings: Record<string, TopicListing[]>) {
  const result = desiredFlows(compiled(clusters + yaml), new Map(Object.entries(listings)));
  return { keys: result.flows.map((flow) => flow.key), rejected: result.rejected, flows: result.flows };
}

describe('desiredFlows', () => {
  test('includes and excludes select origin topics; excludes win; internal and georep topics never go', () => {
    const { keys } = flowsOf(
      `
replications:
  - origin: london
    destinations: [frankfurt]
    topics: { include: ["orders.*", payments, "*"], exclude: ["*.internal"] }
`,
      {
        london: topics(
          'orders.created',
          'orders.internal',
          'payments',
          '__consumer_offsets',
          'georep.offsets',
        ),
      },
    );
    assert.deepEqual(keys, [
      'london/orders.created -> frankfurt/london.orders.created',
      'london/payments -> frankfurt/london.payments',
    ]);
  });

  test('fans out to every destination with the naming policy of the replication', () => {
    const { keys } = flowsOf(
      `
replications:
  - origin: london
    destinations: [frankfurt, dublin]
    topics: { include: [orders] }
    naming: "{topic}.from-{origin}"
`,
      { london: topics('orders') },
    );
    assert.deepEqual(keys, [
      'london/orders -> frankfurt/orders.from-london',
      'london/orders -> dublin/orders.from-london',
    ]);
  });

  test("each flow names its lane's group: one per origin, destination and naming, whatever the topic", () => {
    const { flows } = flowsOf(
      `
replications:
  - name: plain
    origin: london
    destinations: [frankfurt, dublin]
    topics: { include: [orders, payments] }
    naming: identity
  - name: prefixed
    origin: london
    destinations: [frankfurt]
    topics: { include: [orders] }
    naming: prefix
`,
      { london: topics('orders', 'payments') },
    );
    assert.deepEqual(
      flows.map((flow) => `${flow.key}: ${flow.restartSettings.laneGroupId}`),
      [
        'london/orders -> frankfurt/orders: georep.london.frankfurt.identity',
        'london/orders -> dublin/orders: georep.london.dublin.identity',
        'london/payments -> frankfurt/payments: georep.london.frankfurt.identity',
        'london/payments -> dublin/payments: georep.london.dublin.identity',
        'london/orders -> frankfurt/london.orders: georep.london.frankfurt.prefix',
      ],
    );
  });

  test('the flows of one replication into one destination share one copy of their settings (10,000 flows hold one)', () => {
    const { flows } = flowsOf(
      `
replications:
  - origin: london
    destinations: [frankfurt, dublin]
    topics: { include: [orders, payments] }
    topicConfig: { exclude: [segment.bytes, retention.ms] }
`,
      { london: topics('orders', 'payments') },
    );
    const [ordersFrankfurt, ordersDublin, paymentsFrankfurt] = flows.map((flow) => flow.restartSettings);
    assert.ok(ordersFrankfurt?.topicConfigExclude.includes('segment.bytes'));
    assert.equal(ordersFrankfurt?.topicConfigExclude, paymentsFrankfurt?.topicConfigExclude);
    assert.equal(ordersFrankfurt?.destinationConnection, paymentsFrankfurt?.destinationConnection);
    assert.notEqual(ordersFrankfurt?.destinationConnection, ordersDublin?.destinationConnection);
    assert.deepEqual(Object.keys(ordersFrankfurt ?? {}).slice(-2), ['consumerGroupId', 'laneGroupId']);
  });

  test('with prefix names, a topic that came from the destination is not sent back', () => {
    const { keys } = flowsOf(
      `
replications:
  - origin: london
    destinations: [frankfurt]
    topics: { include: ["*"] }
  - origin: frankfurt
    destinations: [london]
    topics: { include: ["*"] }
`,
      { london: topics('orders', 'frankfurt.refunds'), frankfurt: topics('refunds', 'london.orders') },
    );
    assert.deepEqual(keys, [
      'london/orders -> frankfurt/london.orders',
      'frankfurt/refunds -> london/frankfurt.refunds',
    ]);
  });

  test('a second replication writing the same destination topic is rejected with the reason, the first keeps it', () => {
    const { keys, rejected } = flowsOf(
      `
replications:
  - name: from-london
    origin: london
    destinations: [frankfurt]
    topics: { include: ["ord*"] }
    naming: identity
  - name: from-dublin
    origin: dublin
    destinations: [frankfurt]
    topics: { include: ["*s", audit] }
    naming: identity
`,
      { london: topics('orders'), dublin: topics('orders', 'audit') },
    );
    assert.deepEqual(keys, ['london/orders -> frankfurt/orders', 'dublin/audit -> frankfurt/audit']);
    assert.deepEqual(
      rejected.map((r) => `${r.origin}/${r.originTopic}: ${r.reason}`),
      ['dublin/orders: replication "from-london" already writes this topic from london/orders'],
    );
  });

  test('a destination name too long for Kafka is rejected, not attempted', () => {
    const long = 'x'.repeat(245);
    const { keys, rejected } = flowsOf(
      `
replications:
  - origin: london
    destinations: [frankfurt]
    topics: { include: ["*"] }
`,
      { london: topics(long) },
    );
    assert.deepEqual(keys, []);
    assert.match(rejected[0]?.reason ?? '', /not a legal Kafka topic name/);
  });

  test('an origin without a listing yields no flows for it', () => {
    const { keys } = flowsOf(
      `
replications:
  - origin: london
    destinations: [frankfurt]
    topics: { include: ["*"] }
`,
      {},
    );
    assert.deepEqual(keys, []);
  });
});

describe('desired flows through the planner', () => {
  const base = `
replications:
  - name: orders
    origin: london
    destinations: [frankfurt]
    topics: { include: ["orders.*"] }
  - name: audit
    origin: dublin
    destinations: [frankfurt]
    topics: { include: [audit] }
`;
  const listings = new Map(
    Object.entries({ london: topics('orders.a', 'orders.b'), dublin: topics('audit') }),
  );
  const running = desiredFlows(compiled(clusters + base), listings).flows;

  function planAfter(yaml: string) {
    const plan = planFlows(desiredFlows(compiled(clusters + yaml), listings).flows, running);
    return {
      start: plan.start.map((f) => f.originTopic),
      stop: plan.stop.map((f) => f.originTopic),
      restart: plan.restart.map((c) => c.to.originTopic),
      update: plan.update.map((c) => c.to.originTopic),
    };
  }

  test('comments, key order and reordered replications change nothing', () => {
    assert.deepEqual(
      planAfter(`
# audit first now, keys reordered
replications:
  - topics: { include: [audit] }
    destinations: [frankfurt]
    origin: dublin
    name: audit
  - name: orders
    origin: london
    topics: { include: ["orders.*"] }   # same pattern
    destinations: [frankfurt]
`),
      { start: [], stop: [], restart: [], update: [] },
    );
  });

  test('reordering the topic config excludes changes nothing; the flow carries them as a sorted list', () => {
    const excluding = (list: string) => `
replications:
  - { name: audit, origin: dublin, destinations: [frankfurt], topics: { include: [audit] }, topicConfig: { exclude: ${list} } }
`;
    const before = desiredFlows(
      compiled(clusters + excluding('[segment.bytes, retention.ms]')),
      listings,
    ).flows;
    const after = desiredFlows(
      compiled(clusters + excluding('[retention.ms, segment.bytes]')),
      listings,
    ).flows;
    assert.deepEqual(after[0]?.restartSettings.topicConfigExclude, ['retention.ms', 'segment.bytes']);
    assert.equal(planFlows(after, before).unchanged.length, 1);
  });

  test("changing one replication's delivery restarts only its flows", () => {
    assert.deepEqual(
      planAfter(
        base.replace(
          'topics: { include: [audit] }',
          'topics: { include: [audit] }\n    delivery: exactly-once',
        ),
      ),
      {
        start: [],
        stop: [],
        restart: ['audit'],
        update: [],
      },
    );
  });

  test('narrowing a pattern stops only the flows it no longer selects', () => {
    assert.deepEqual(planAfter(base.replace('"orders.*"', 'orders.a')), {
      start: [],
      stop: ['orders.b'],
      restart: [],
      update: [],
    });
  });

  test('pausing a replication updates its flows in place', () => {
    assert.deepEqual(planAfter(base.replace('name: orders', 'name: orders\n    paused: true')), {
      start: [],
      stop: [],
      restart: [],
      update: ['orders.a', 'orders.b'],
    });
  });

  test('new credentials for a cluster restart the flows that use it, and only those', () => {
    const withCredentials = clusters.replace(
      'dublin: { bootstrap: ["dub:9092"] }',
      'dublin: { bootstrap: ["dub:9092"], sasl: { mechanism: plain, username: u, password: "${env:DUB_PASS}" } }',
    );
    const environment = {
      baseDir: '/etc/georep',
      env: (name: string) => (name === 'DUB_PASS' ? 'secret-1' : undefined),
      readFile: () => ({ ok: false as const, reason: 'no files' }),
    };
    const plan = planFlows(
      desiredFlows(compiled(withCredentials + base, environment), listings).flows,
      running,
    );
    assert.deepEqual(
      plan.restart.map((c) => [c.to.originTopic, c.changes.map((s) => s.setting)]),
      [['audit', ['originConnection']]],
    );
    assert.equal(JSON.stringify(plan).includes('secret-1'), false);
  });
});

describe('prefixOriginChain', () => {
  test('reads the clusters a prefixed name passed through, outermost first', () => {
    assert.deepEqual(prefixOriginChain('frankfurt.london.orders', '.', ['london', 'frankfurt']), [
      'frankfurt',
      'london',
    ]);
    assert.deepEqual(prefixOriginChain('orders.london', '.', ['london']), []);
  });
});

describe('desiredFlowSteps', () => {
  test('yields between replications and within a long listing, and ends with what desiredFlows gives', () => {
    const config = compiled(
      `${clusters}replications:
  - { origin: london, destinations: [frankfurt], topics: { include: ["t-1*"] } }
  - { origin: london, destinations: [dublin], topics: { include: ["t-2*"] } }
`,
    );
    const listings = new Map([
      ['london', topics(...Array.from({ length: 2000 }, (_, index) => `t-${index}`))],
    ]);
    const steps = desiredFlowSteps(config, listings);
    let yields = 0;
    let next = steps.next();
    for (; !next.done; next = steps.next()) yields++;
    // Each replication is a step, and each 512 of its 2,000 topics another.
    assert.equal(yields, 2 + 2 * 3);
    assert.deepEqual(next.value, desiredFlows(config, listings));
    assert.equal(next.value.flows.length, 1111 + 111);
  });

  test('literal includes are looked up, not matched: the same flows, in listing order, as a pattern gives', () => {
    const listing = { london: topics('a', 'b', 'c', 'd') };
    const replication = (include: string) => `
replications:
  - { origin: london, destinations: [frankfurt], topics: { include: ${include}, exclude: [d] } }
`;
    const literal = flowsOf(replication('[d, c, missing, a]'), listing);
    assert.deepEqual(literal.keys, ['london/a -> frankfurt/london.a', 'london/c -> frankfurt/london.c']);
    assert.deepEqual(literal, flowsOf(replication('["/d|c|missing|a/"]'), listing));
  });
});
