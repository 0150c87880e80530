// Which group syncs a config wants, and the plan against the running ones: keyed by what a sync does (its
// groups, from which cluster to which), so moving or renaming a replication never restarts its sync.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { desiredGroupSyncs, type GroupSyncSpec, planGroupSyncs } from '../../src/plan/group-syncs.js';
import { parse } from './config/helpers.js';

function syncsOf(text: string, credentialChanges?: ReadonlyMap<string, number>): GroupSyncSpec[] {
  const loaded = parse(text);
  assert.ok(loaded.ok, JSON.stringify(loaded.ok ? null : loaded.issues));
  return desiredGroupSyncs(loaded.config, credentialChanges);
}

const base = `clusters:
  london: { bootstrap: [a:9092] }
  paris: { bootstrap: [b:9092] }
  dublin: { bootstrap: [c:9092] }
replications:
  - origin: london
    destinations: [paris, dublin]
    topics: { include: [orders] }
    groups: { include: ["billing-*"], exclude: ["*-test"] }
  - origin: london
    destinations: [paris]
    topics: { include: [audit] }
`;

/** The plan from `before` to `after`, as [action, key, changed settings] rows. */
function planRows(before: GroupSyncSpec[], after: GroupSyncSpec[]): string[][] {
  const plan = planGroupSyncs(after, before);
  return [
    ...plan.start.map((spec) => ['start', spec.key]),
    ...plan.stop.map((spec) => ['stop', spec.key]),
    ...plan.restart.map((c) => ['restart', c.to.key, c.changes.map((x) => x.setting).join(',')]),
    ...plan.update.map((c) => ['update', c.to.key, c.changes.map((x) => `${x.from}->${x.to}`).join(',')]),
    ...plan.unchanged.map((spec) => ['unchanged', spec.key]),
  ];
}

describe('desiredGroupSyncs', () => {
  test('one sync per destination of each replication that names groups, keyed by what it does', () => {
    assert.deepEqual(
      syncsOf(base).map((spec) => [spec.key, spec.replication, spec.intervalMs]),
      [
        ['london -> paris groups [billing-*] except [*-test]', 'london->paris,dublin', 5000],
        ['london -> dublin groups [billing-*] except [*-test]', 'london->paris,dublin', 5000],
      ],
    );
  });

  test('two replications asking for the same groups between the same clusters share one sync', () => {
    const twice = base.replace(
      '    topics: { include: [audit] }\n',
      '    topics: { include: [audit] }\n    groups: { include: ["billing-*"], exclude: ["*-test"] }\n',
    );
    assert.equal(syncsOf(twice).length, 2);
  });
});

describe('planGroupSyncs', () => {
  const cases: { name: string; after: string; credentials?: Map<string, number>; rows: string[][] }[] = [
    {
      name: 'lines added above a replication change nothing',
      after: base.replace('replications:\n', 'replications:\n\n\n'),
      rows: [
        ['unchanged', 'london -> dublin groups [billing-*] except [*-test]'],
        ['unchanged', 'london -> paris groups [billing-*] except [*-test]'],
      ],
    },
    {
      name: 'a renamed replication updates its syncs in place',
      after: base.replace(
        '  - origin: london\n    destinations: [paris, dublin]',
        '  - name: billing\n    origin: london\n    destinations: [paris, dublin]',
      ),
      rows: [
        ['update', 'london -> dublin groups [billing-*] except [*-test]', 'london->paris,dublin->billing'],
        ['update', 'london -> paris groups [billing-*] except [*-test]', 'london->paris,dublin->billing'],
      ],
    },
    {
      name: 'other patterns are another sync: the old one stops, the new one starts',
      after: base.replace('"billing-*"]', '"billing-*", ledger]'),
      rows: [
        ['start', 'london -> dublin groups [billing-*, ledger] except [*-test]'],
        ['start', 'london -> paris groups [billing-*, ledger] except [*-test]'],
        ['stop', 'london -> dublin groups [billing-*] except [*-test]'],
        ['stop', 'london -> paris groups [billing-*] except [*-test]'],
      ],
    },
    {
      name: 'a changed sync interval restarts every sync',
      after: `${base}daemon: { groupSyncIntervalMs: 1000 }\n`,
      rows: [
        ['restart', 'london -> dublin groups [billing-*] except [*-test]', 'intervalMs'],
        ['restart', 'london -> paris groups [billing-*] except [*-test]', 'intervalMs'],
      ],
    },
    {
      name: "a changed connection or password of one cluster restarts that cluster's syncs only",
      after: base.replace('dublin: { bootstrap: [c:9092] }', 'dublin: { bootstrap: [c2:9092] }'),
      credentials: new Map([['paris', 1]]),
      rows: [
        ['restart', 'london -> dublin groups [billing-*] except [*-test]', 'destinationConnection'],
        ['restart', 'london -> paris groups [billing-*] except [*-test]', 'destinationCredentials'],
      ],
    },
    {
      name: 'groups removed from the config stop their syncs',
      after: base.replace('    groups: { include: ["billing-*"], exclude: ["*-test"] }\n', ''),
      rows: [
        ['stop', 'london -> dublin groups [billing-*] except [*-test]'],
        ['stop', 'london -> paris groups [billing-*] except [*-test]'],
      ],
    },
  ];
  for (const { name, after, credentials, rows } of cases) {
    test(name, () => {
      assert.deepEqual(planRows(syncsOf(base), syncsOf(after, credentials)), rows);
    });
  }
});
