// The status page's view model (web/status-view.js), imported as the page runs it: problems first, counts
// by state, flows per replication, the filter, pages of rows, bounded chart history and chart scaling, caps.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addSample,
  catchUpMs,
  chartLines,
  compareFlows,
  countByState,
  describeCap,
  escapeHtml,
  formatBytes,
  formatCount,
  formatDuration,
  groupByReplication,
  isProblem,
  matchesFilter,
  niceCeiling,
  pageOf,
  stateTone,
} from '../../web/status-view.js';

type Flow = Parameters<typeof compareFlows>[0];

function flow(key: string, overrides: Partial<Flow> = {}): Flow {
  return {
    key,
    replication: 'orders',
    state: 'running',
    sinceMs: 0,
    error: null,
    lag: 0,
    lagMeasuredAtMs: 0,
    recordsPerSecond: 0,
    lastBatchAtMs: null,
    recordsMirrored: 0,
    ...overrides,
  };
}

const unavailable = {
  reason: 'destination-unavailable',
  message: 'connect ECONNREFUSED 127.0.0.1:9092',
  retriable: true,
};

describe('status page view model', () => {
  test('problems come first: error, then a state the page does not know, then starting, then paused and running', () => {
    const flows = [
      flow('a', { state: 'running', lag: 5 }),
      flow('b', { state: 'paused' }),
      flow('c', { state: 'starting' }),
      flow('d', { state: 'stalled' }),
      flow('e', { state: 'error', error: unavailable }),
      flow('f', { state: 'running', lag: 900 }),
      flow('g', { state: 'running', lag: null }),
    ];
    assert.deepEqual(
      [...flows].sort(compareFlows).map((f) => f.key),
      ['e', 'd', 'c', 'b', 'f', 'a', 'g'],
    );
    assert.deepEqual(
      flows.filter(isProblem).map((f) => f.key),
      ['c', 'd', 'e'],
    );
    assert.equal(stateTone('error'), 'bad');
    assert.equal(stateTone('stalled'), 'bad', 'a cluster that does not answer: not copying');
    assert.equal(stateTone('quarantined'), 'warn', 'an unknown state is shown as a warning, not hidden');
    assert.equal(stateTone('running'), 'ok');
  });

  test('counts by state, worst first', () => {
    const flows = [flow('a'), flow('b'), flow('c', { state: 'error' }), flow('d', { state: 'paused' })];
    assert.deepEqual(countByState(flows), [
      { state: 'error', count: 1, tone: 'bad' },
      { state: 'paused', count: 1, tone: 'idle' },
      { state: 'running', count: 2, tone: 'ok' },
    ]);
  });

  test('the filter: every word must match the key, replication, state or error; state:X matches the state', () => {
    const failed = flow('london/orders -> frankfurt/london.orders', {
      state: 'error',
      error: unavailable,
      replication: 'to-frankfurt',
    });
    const cases: [string, boolean][] = [
      ['', true],
      ['  ', true],
      ['ORDERS', true],
      ['orders frankfurt', true],
      ['orders dublin', false],
      ['state:error', true],
      ['state:err', false],
      ['state:running', false],
      ['econnrefused', true],
      ['destination-unavailable', true],
      ['to-frankfurt', true],
    ];
    for (const [query, expected] of cases) assert.equal(matchesFilter(failed, query), expected, query);
  });

  test('groups per replication: sorted inside, replications with problems first, lag and rate summed', () => {
    const groups = groupByReplication([
      flow('a1', { replication: 'alpha', lag: 10, recordsPerSecond: 5 }),
      flow('a2', { replication: 'alpha', lag: 20, recordsPerSecond: 2.5 }),
      flow('z1', { replication: 'zulu', lag: null }),
      flow('z2', { replication: 'zulu', state: 'error', lag: 7 }),
      flow('m1', { replication: 'mike', lag: null }),
    ]);
    assert.deepEqual(
      groups.map((g) => [g.name, g.flows.map((f) => f.key), g.problems, g.lag, g.lagComplete]),
      [
        ['zulu', ['z2', 'z1'], 1, 7, false],
        ['alpha', ['a2', 'a1'], 0, 30, true],
        ['mike', ['m1'], 0, null, false],
      ],
    );
    assert.equal(groups[1]?.recordsPerSecond, 7.5);
  });

  test('a page of rows: clamped to the pages there are', () => {
    const items = Array.from({ length: 450 }, (_, i) => i);
    assert.deepEqual(
      { ...pageOf(items, 0, 200), items: pageOf(items, 0, 200).items.length },
      { items: 200, page: 0, pages: 3 },
    );
    assert.deepEqual(pageOf(items, 2, 200).items, items.slice(400));
    assert.equal(pageOf(items, 99, 200).page, 2);
    assert.equal(pageOf(items, -3, 200).page, 0);
    assert.deepEqual(pageOf([], 5, 200), { items: [], page: 0, pages: 1 });
  });

  test('chart history stays bounded by its window and its sample count', () => {
    const bounds = { windowMs: 10_000, maxSamples: 4 };
    let samples: ReturnType<typeof addSample> = [];
    for (let atMs = 0; atMs <= 20_000; atMs += 1_000) {
      samples = addSample(samples, { atMs, lag: atMs, recordsPerSecond: 1 }, bounds);
    }
    assert.deepEqual(
      samples.map((s) => s.atMs),
      [17_000, 18_000, 19_000, 20_000],
    );
    const windowed = addSample(
      [{ atMs: 0, lag: 1, recordsPerSecond: 1 }],
      { atMs: 10_000, lag: 1, recordsPerSecond: 1 },
      {
        windowMs: 10_000,
        maxSamples: 100,
      },
    );
    assert.deepEqual(
      windowed.map((s) => s.atMs),
      [10_000],
    );
    const clockWentBack = addSample(samples, { atMs: 18_500, lag: 0, recordsPerSecond: 0 }, bounds);
    assert.deepEqual(
      clockWentBack.map((s) => s.atMs),
      [17_000, 18_000, 18_500],
      'samples never go back in time',
    );
  });

  test('chart scaling: a nice top, time left to right, value bottom to top, gaps where the lag is unknown', () => {
    const cases: [number, number][] = [
      [0, 1],
      [0.4, 1],
      [1, 1],
      [1.2, 2],
      [3, 5],
      [7, 10],
      [10, 10],
      [11, 20],
      [4_321, 5_000],
      [50_001, 100_000],
    ];
    for (const [value, top] of cases) assert.equal(niceCeiling(value), top, String(value));

    const box = { fromMs: 0, toMs: 100, width: 200, height: 50 };
    const samples = [
      { atMs: 0, lag: 0, recordsPerSecond: 1 },
      { atMs: 50, lag: 40, recordsPerSecond: 1 },
      { atMs: 60, lag: null, recordsPerSecond: 1 },
      { atMs: 100, lag: 20, recordsPerSecond: 1 },
    ];
    assert.deepEqual(
      chartLines(samples, (s) => s.lag, box),
      { top: 50, lines: ['0,50 100,10', '200,30 200,30'] },
    );
    assert.deepEqual(
      chartLines([], (s) => s.lag, box),
      { top: 1, lines: [] },
    );
    const old = [{ atMs: -5, lag: 3, recordsPerSecond: 0 }];
    assert.deepEqual(chartLines(old, (s) => s.lag, box).lines, [], 'samples before the window are not drawn');
  });

  test('numbers, durations, catch-up time and escaping', () => {
    assert.equal(formatCount(1234567), '1,234,567');
    assert.equal(formatCount(2.25), '2.3');
    assert.equal(formatCount(null), '?');
    const durations: [number, string][] = [
      [-5, '0 s'],
      [400, '0 s'],
      [59_000, '59 s'],
      [60_000, '1 min'],
      [3_599_000, '59 min'],
      [3_600_000 + 5 * 60_000, '1 h 5 min'],
      [3 * 86_400_000, '3 d'],
    ];
    for (const [ms, text] of durations) assert.equal(formatDuration(ms), text, String(ms));
    assert.equal(catchUpMs(flow('a', { lag: 500, recordsPerSecond: 50 })), 10_000);
    assert.equal(catchUpMs(flow('a', { lag: 500, recordsPerSecond: 0 })), null);
    assert.equal(catchUpMs(flow('a', { lag: 0, recordsPerSecond: 50 })), null);
    assert.equal(catchUpMs(flow('a', { lag: null, recordsPerSecond: 50 })), null);
    assert.equal(catchUpMs(flow('a', { lag: 500, recordsPerSecond: 50, state: 'error' })), null);
    assert.equal(
      escapeHtml(`<img src=x onerror="a('b')">&`),
      '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;',
    );
  });

  test('a cap: its rate, and how much of the time since the last poll its partitions waited for it', () => {
    const cap = (throttledSeconds: number, maxBytesPerSecond = 20_000_000) => ({
      replication: 'orders',
      maxBytesPerSecond,
      bytesWritten: 0,
      throttledSeconds,
    });
    assert.equal(describeCap(cap(5), undefined, 10_000, 3), 'cap 20 MB/s', 'nothing to compare with yet');
    // 3 partitions over 5 s could wait 15 s in all; they waited 12.
    assert.equal(
      describeCap(cap(17), { cap: cap(5), atMs: 5_000 }, 10_000, 3),
      'cap 20 MB/s, waited for 80% of the last 5 s',
    );
    assert.equal(
      describeCap(cap(5, 1024), { cap: cap(5, 2048), atMs: 0 }, 2_000, 1),
      'cap 1 kB/s, waited for 0% of the last 2 s',
    );
    assert.equal(
      describeCap(cap(0), { cap: cap(9), atMs: 0 }, 2_000, 1),
      'cap 20 MB/s, waited for 0% of the last 2 s',
      'a cap set anew starts from 0',
    );
    const sizes: [number, string][] = [
      [512, '512 B'],
      [1024, '1 kB'],
      [1_500_000, '1.5 MB'],
      [3_210_000_000, '3.2 GB'],
    ];
    for (const [bytes, text] of sizes) assert.equal(formatBytes(bytes), text, String(bytes));
  });
});
