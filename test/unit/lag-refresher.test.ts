// The offset lag gauge is set when the figure changes, not each time thousands of idle flows refresh it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
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
