// The offset lag gauge is set when the figure changes, not each time thousands of idle flows refresh it; the end
// offsets behind it come from the lane's fetches when they tell them all, from the origin otherwise.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FetchedEndOffset } from '../../src/kafka/port.js';
import { FlowProgress } from '../../src/runtime/flow-progress.js';
import { LagRefresher } from '../../src/runtime/lag-refresher.js';

test('the lag gauge is set when the figure or the labels change, and again after the flow stopped', () => {
  let lag: number | null = 5;
  const labels = { replication: 'r', origin: 'o', destination: 'd', topic: 't' };
  const identity = { labels, spec: {}, logger: {} };
  const set: string[] = [];
  const refresher = new LagRefresher({
    identity,
    originAdmin: {},
    metrics: {
      offsetLag: {
        set: (at: { replication: string }, value: number) => set.push(`${at.replication}=${value}`),
      },
    },
    progress: { lag: () => lag },
    lagRefreshMs: 5_000,
    nowMs: () => 0,
    refreshLineage: async () => {},
  } as unknown as ConstructorParameters<typeof LagRefresher>[0]);
  refresher.publish();
  refresher.publish();
  lag = null; // unknown: the last figure stays
  refresher.publish();
  lag = 7;
  refresher.publish();
  identity.labels = { ...labels, replication: 'renamed' };
  refresher.publish();
  refresher.stop();
  refresher.publish();
  assert.deepEqual(set, ['r=5', 'r=7', 'renamed=7', 'renamed=7']);
});

describe("where the lag's end offsets come from", () => {
  const lagRefreshMs = 5_000;
  const cases: readonly {
    readonly name: string;
    readonly fetched: readonly FetchedEndOffset[];
    readonly positions: readonly (bigint | null)[];
    readonly asksOrigin: boolean;
    readonly lag: number;
  }[] = [
    {
      name: "the lane's fetches, when they tell every held partition's end, each within a refresh",
      fetched: [
        { partition: 0, lastStableOffset: 12n, ageMs: 400 },
        { partition: 1, lastStableOffset: 20n, ageMs: lagRefreshMs },
      ],
      positions: [10n, 20n],
      asksOrigin: false,
      lag: 2,
    },
    {
      name: 'the origin, when the lane fetches only some of them (a partition held back or failing)',
      fetched: [{ partition: 0, lastStableOffset: 12n, ageMs: 0 }],
      positions: [10n, 20n],
      asksOrigin: true,
      lag: 15,
    },
    {
      name: 'the origin, when the lane fetches none (paused, not attached)',
      fetched: [],
      positions: [10n, 20n],
      asksOrigin: true,
      lag: 15,
    },
    {
      name: "the origin, when an end is older than a refresh (the lane's fetches stopped being answered)",
      fetched: [
        { partition: 0, lastStableOffset: 12n, ageMs: 0 },
        { partition: 1, lastStableOffset: 20n, ageMs: lagRefreshMs + 1 },
      ],
      positions: [10n, 20n],
      asksOrigin: true,
      lag: 15,
    },
    {
      name: 'the origin, when a position is not known yet (it is read from the stored progress)',
      fetched: [
        { partition: 0, lastStableOffset: 12n, ageMs: 0 },
        { partition: 1, lastStableOffset: 20n, ageMs: 0 },
      ],
      positions: [10n, null],
      asksOrigin: true,
      lag: 5 + 7,
    },
  ];
  for (const { name, fetched, positions, asksOrigin, lag } of cases) {
    test(name, async () => {
      const nowMs = 1_000_000;
      const progress = new FlowProgress(() => nowMs, {
        staleAfterMs: 2.5 * lagRefreshMs,
        rateWindowMs: 10_000,
      });
      progress.assigned([0, 1]);
      positions.forEach((position, partition) => {
        if (position !== null) progress.committed(partition, position);
      });
      let asked = 0;
      const originAdmin = {
        partitionOffsets: async () => {
          asked += 1;
          return [
            { partition: 0, earliest: 0n, latest: 15n },
            { partition: 1, earliest: 0n, latest: 30n },
          ];
        },
        committedOffsets: async () => [{ topic: 't', partition: 1, offset: 23n }],
      };
      const refresher = new LagRefresher({
        identity: {
          labels: {},
          spec: {
            originTopic: 't',
            start: 'earliest',
            restartSettings: { laneGroupId: 'lane', consumerGroupId: 'old' },
          },
          logger: { debug: () => {} },
        },
        originAdmin,
        metrics: { offsetLag: { set: () => {} } },
        progress,
        lagRefreshMs,
        nowMs: () => nowMs,
        fetchedEndOffsets: () => fetched,
        refreshLineage: async () => {},
      } as unknown as ConstructorParameters<typeof LagRefresher>[0]);
      await refresher.refresh();
      assert.equal(asked, asksOrigin ? 1 : 0);
      assert.equal(progress.lag(), lag);
    });
  }
});
