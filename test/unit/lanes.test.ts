// Lanes and slots: which group holds a flow's progress and which slot a partition is in, the same in every
// process that reads the same file, across reloads and renamed replications.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NamingPolicy } from '../../src/config/types.js';
import { consumerGroupId } from '../../src/plan/flow-spec.js';
import { fnv1a32, laneGroupId, laneKey, laneOf, SLOT_COUNT, slotOf } from '../../src/plan/lanes.js';
import { compiled } from './config/helpers.js';

const ends = { origin: 'london', destination: 'frankfurt' };

describe('slotOf', () => {
  test('FNV-1a is the published 32-bit function (test vectors)', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  test('partition p of a topic is (fnv1a(topic) + p) mod 256: consecutive partitions, consecutive slots', () => {
    const first = fnv1a32('orders') % SLOT_COUNT;
    const slots = [0, 1, 2, 3, 4, 5].map((partition) => slotOf('orders', partition));
    assert.deepEqual(
      slots,
      [0, 1, 2, 3, 4, 5].map((partition) => (first + partition) % SLOT_COUNT),
    );
    assert.equal(slotOf('orders', SLOT_COUNT), first, 'partition 256 wraps around to the slot of 0');
  });

  test('a thousand topics spread over the slots (no slot holds more than 3% of them)', () => {
    const perSlot = new Array<number>(SLOT_COUNT).fill(0);
    for (let topic = 0; topic < 1000; topic++) perSlot[slotOf(`topic-${topic}`, 0)]! += 1;
    assert.ok(Math.max(...perSlot) <= 30, `busiest slot: ${Math.max(...perSlot)} topics`);
    assert.ok(perSlot.filter((count) => count > 0).length > 200, 'most slots hold a topic');
  });
});

describe('laneOf and laneGroupId', () => {
  const cases: { naming: NamingPolicy; tag: string | RegExp }[] = [
    { naming: { kind: 'identity' }, tag: 'identity' },
    { naming: { kind: 'prefix', separator: '.' }, tag: 'prefix' },
    { naming: { kind: 'template', template: '{origin}.{topic}' }, tag: 'prefix' },
    { naming: { kind: 'template', template: '{topic}' }, tag: 'identity' },
    { naming: { kind: 'prefix', separator: '-' }, tag: /^t-[0-9a-f]{12}$/ },
    { naming: { kind: 'template', template: '{topic}.replica' }, tag: /^t-[0-9a-f]{12}$/ },
  ];
  for (const { naming, tag } of cases) {
    test(`${JSON.stringify(naming)} names the lane ${tag}`, () => {
      const lane = laneOf(naming, ends);
      if (typeof tag === 'string') assert.equal(lane.naming, tag);
      else assert.match(lane.naming, tag);
      assert.equal(laneGroupId('georep', lane), `georep.london.frankfurt.${lane.naming}`);
      assert.equal(laneKey(lane), `london -> frankfurt (${lane.naming})`);
    });
  }

  test('namings that name topics differently are different lanes; alike ones are one', () => {
    const tags = (policies: NamingPolicy[]) => new Set(policies.map((naming) => laneOf(naming, ends).naming));
    assert.equal(
      tags([
        { kind: 'prefix', separator: '-' },
        { kind: 'prefix', separator: '_' },
        { kind: 'template', template: '{topic}.replica' },
        { kind: 'template', template: '{destination}.{topic}' },
      ]).size,
      4,
    );
    assert.equal(
      tags([
        { kind: 'prefix', separator: '-' },
        { kind: 'template', template: '{origin}-{topic}' },
        { kind: 'template', template: 'london-{topic}' },
      ]).size,
      1,
    );
  });

  test('a lane group id never equals a per-flow group id under the same prefix', () => {
    const prefix = 'ops.georep';
    const partsAfterPrefix = (id: string) => id.slice(prefix.length + 1).split('.').length;
    for (const naming of cases.map((row) => row.naming)) {
      assert.equal(partsAfterPrefix(laneGroupId(prefix, laneOf(naming, ends))), 3);
    }
    // The shortest per-flow id: one-word topics, still four parts.
    assert.equal(partsAfterPrefix(consumerGroupId(prefix, 'london', 'a', 'frankfurt', 'a')), 4);
  });

  test('the lane group ids stay the same across a reload and when the replication is renamed', () => {
    const clusters = `
clusters:
  london: { bootstrap: ["lon:9092"] }
  frankfurt: { bootstrap: ["fra:9092"] }
  dublin: { bootstrap: ["dub:9092"] }
`;
    const groupIds = (yaml: string) => {
      const config = compiled(clusters + yaml);
      return config.replications.flatMap((replication) =>
        replication.destinations.map((destination) =>
          laneGroupId(
            config.daemon.groupIdPrefix,
            laneOf(replication.naming, { origin: replication.origin, destination }),
          ),
        ),
      );
    };
    const before = groupIds(`
replications:
  - name: orders-out
    origin: london
    destinations: [frankfurt, dublin]
    topics: { include: ["orders.*"] }
`);
    const renamedAndReordered = groupIds(`
replications:
  - name: everything-to-the-continent
    origin: london
    destinations: [frankfurt, dublin]
    topics: { include: ["orders.*", payments] }
    paused: true
`);
    assert.deepEqual(before, ['georep.london.frankfurt.prefix', 'georep.london.dublin.prefix']);
    assert.deepEqual(renamedAndReordered, before);
  });
});
