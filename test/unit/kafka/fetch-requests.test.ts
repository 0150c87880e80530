// What the fetch loop asks each broker for is built again only when something changed: an idle lane of thousands
// of partitions sends the same request every few hundred milliseconds without building it anew.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FetchPositions, type PartitionState } from '../../../src/kafka/platformatic/fetch-positions.js';
import {
  type BuiltRequest,
  FetchRequests,
  heldBackMaxWaitMs,
} from '../../../src/kafka/platformatic/fetch-requests.js';
import type { FetchLayout } from '../../../src/kafka/platformatic/partition-fetcher.js';

/** Partitions 0–1 of `a` and `b` led by broker 1, partition 2 by broker 2; `new` has no leader yet. */
const layout = {
  leaders: new Map([
    ['a', [1, 1, 2]],
    ['b', [1, 1, 2]],
  ]),
  topicIds: new Map(),
  brokers: new Map([
    [1, { host: 'h', port: 1 }],
    [2, { host: 'h', port: 2 }],
  ]),
} as unknown as FetchLayout;

function started(...topics: string[]): FetchPositions {
  const positions = new FetchPositions();
  for (const topic of topics) {
    positions.assign(topic, [0, 1, 2]);
    for (const partition of [0, 1, 2]) positions.start(topic, partition, 10n);
  }
  return positions;
}

const names = (states: readonly PartitionState[]) => states.map((s) => `${s.topic}/${s.partition}`);

/** A build that counts its calls and names the partitions it was given. */
function counting() {
  let builds = 0;
  const build = (states: readonly PartitionState[]): BuiltRequest => {
    builds += 1;
    return { states, sent: [], request: [], immediate: false, answers: { lastAtMs: null } };
  };
  return { build, builds: () => builds };
}

function requestTo(
  requests: FetchRequests,
  positions: FetchPositions,
  broker: number,
  build: (states: readonly PartitionState[]) => BuiltRequest,
  layoutVersion = 0,
) {
  const states = requests.groups(positions, layout, layoutVersion).byLeader.get(broker) ?? [];
  const basis = { positionsVersion: positions.version, layoutVersion, maxBytesPerPartition: 100 };
  return requests.request(broker, states, basis, build);
}

describe('fetch requests: built again only when something changed', () => {
  test('partitions are grouped by their leader; a topic without one is named to load its layout', () => {
    const positions = started('a', 'new');
    const groups = new FetchRequests().groups(positions, layout, 0);
    assert.deepEqual(names(groups.byLeader.get(1) ?? []), ['a/0', 'a/1']);
    assert.deepEqual(names(groups.byLeader.get(2) ?? []), ['a/2']);
    assert.deepEqual([...groups.leaderless], ['new']);
  });

  test('nothing changed: the same request, not built again', () => {
    const positions = started('a', 'b');
    const requests = new FetchRequests();
    const { build, builds } = counting();
    const first = requestTo(requests, positions, 1, build);
    assert.equal(requestTo(requests, positions, 1, build), first);
    assert.equal(builds(), 1);
    assert.deepEqual(names(first?.states ?? []), ['a/0', 'a/1', 'b/0', 'b/1']);
  });

  test('a partition started, a topic let go or a new layout: built again', () => {
    const positions = started('a', 'b');
    const requests = new FetchRequests();
    const { build, builds } = counting();
    requestTo(requests, positions, 1, build);
    positions.start('a', 0, 20n);
    requestTo(requests, positions, 1, build);
    positions.assign('b', []);
    assert.deepEqual(names(requestTo(requests, positions, 1, build)?.states ?? []), ['a/0', 'a/1']);
    requestTo(requests, positions, 1, build, 1);
    assert.equal(builds(), 4);
  });

  test('a partition still in flight with another broker is left out, and the request not kept', () => {
    const positions = started('a');
    const requests = new FetchRequests();
    const { build, builds } = counting();
    const inFlight = positions.state('a', 0)!;
    inFlight.fetching = true;
    assert.deepEqual(names(requestTo(requests, positions, 1, build)?.states ?? []), ['a/1']);
    inFlight.fetching = false;
    assert.deepEqual(names(requestTo(requests, positions, 1, build)?.states ?? []), ['a/0', 'a/1']);
    assert.equal(builds(), 2);
  });
});

describe('the max wait of a request that leaves out a partition whose batch waits for the handler', () => {
  const wait = { minMs: 25, perHeldMs: 0.25, maxMs: 500 };
  const cases: [string, number | undefined, number | undefined][] = [
    ['no partition held back: the broker’s own', undefined, undefined],
    ['just held back', 0, 25],
    ['held 100 ms: still the shortest', 100, 25],
    ['held 400 ms: a quarter of it', 400, 100],
    ['held 1,996 ms', 1_996, 499],
    ['held 2 s: the broker’s own', 2_000, undefined],
    ['held for minutes under a cap', 600_000, undefined],
  ];
  for (const [name, heldForMs, expected] of cases)
    test(name, () => {
      const nowMs = 1_000_000;
      const heldSinceMs = heldForMs === undefined ? undefined : nowMs - heldForMs;
      assert.equal(heldBackMaxWaitMs(wait, heldSinceMs, nowMs), expected);
    });
});

test('a broker holding back partitions is known with when its latest held-back batch came', () => {
  const positions = started('a');
  const requests = new FetchRequests();
  assert.equal(requests.groups(positions, layout, 0).holdingBack.size, 0);
  const [a0, a1] = requests.groups(positions, layout, 0).byLeader.get(1)!;
  const answer = (state: PartitionState) =>
    positions.accept(state, {
      kind: 'read',
      topic: 'a',
      partition: state.partition,
      fetchOffset: 10n,
      read: { records: [{}] as never, nextOffset: 11n, bytes: 1, receivedBytes: 1 },
      highWatermark: 100n,
      lastStableOffset: 100n,
    });
  const before = performance.now();
  answer(a0!);
  const first = requests.groups(positions, layout, 0).holdingBack.get(1)!;
  assert.ok(first >= before);
  answer(a1!);
  const latest = requests.groups(positions, layout, 0).holdingBack.get(1)!;
  assert.ok(latest >= first, 'the latest of the two');
  assert.equal(requests.groups(positions, layout, 0).holdingBack.has(2), false);
});
