import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  renderBandwidthCaps,
  renderFlows,
  renderRejectedReload,
  renderStatusTable,
} from '../../src/cli/status.js';
import { describeStates, flowsView, LISTED_FLOWS_MAX } from '../../src/cli/status-summary.js';
import type { FlowStatus } from '../../src/runtime/flow-status.js';

function flow(key: string, overrides: Partial<FlowStatus>): FlowStatus {
  return {
    key,
    state: 'running',
    sinceMs: 0,
    error: null,
    replication: 'r',
    origin: 'a',
    originTopic: 't',
    destination: 'b',
    destinationTopic: 't',
    recordsMirrored: 0,
    bytesMirrored: 0,
    bytesWritten: 0,
    recordsPerSecond: 0,
    lastBatchAtMs: null,
    lag: 0,
    lagMeasuredAtMs: null,
    timeLagMs: null,
    failedAttempts: 0,
    partitions: [],
    topicConfigSync: null,
    spec: {} as FlowStatus['spec'],
    ...overrides,
  };
}

describe('renderStatusTable', () => {
  test('aligns the columns and shows the reason of a flow in error', () => {
    const table = renderStatusTable([
      flow('london/orders -> frankfurt/london.orders', {
        lag: 12,
        timeLagMs: 185_000,
        recordsPerSecond: 950,
        recordsMirrored: 120000,
      }),
      flow('london/audit -> frankfurt/london.audit', {
        state: 'error',
        lag: null,
        error: { reason: 'destination-unavailable', message: 'connect ECONNREFUSED', retriable: true },
      }),
    ]);
    assert.equal(
      table,
      [
        'FLOW                                      STATE    LAG  BEHIND  RECORDS/S  MIRRORED  LAST ERROR',
        'london/orders -> frankfurt/london.orders  running  12   3m05s   950        120000',
        'london/audit -> frankfurt/london.audit    error    -    -       0          0         destination-unavailable: connect ECONNREFUSED',
        '',
      ].join('\n'),
    );
  });

  test('a lag that could not be refreshed is unknown with its age, never a stale figure', () => {
    const nowMs = 1_700_000_060_000;
    const table = renderStatusTable(
      [
        flow('fresh', { lag: 0, lagMeasuredAtMs: nowMs - 1_000 }),
        flow('stale', { lag: null, lagMeasuredAtMs: nowMs - 42_000 }),
        flow('never', { lag: null, lagMeasuredAtMs: null }),
      ],
      nowMs,
    );
    assert.deepEqual(
      table.split('\n').map((line) => line.split(/\s{2,}/)[2]),
      ['LAG', '0', '? (42s old)', '-', undefined],
    );
  });

  test('says so when there are no flows', () => {
    assert.equal(renderStatusTable([]), 'No flows.\n');
  });
});

function running(count: number, replication = 'r'): FlowStatus[] {
  return Array.from({ length: count }, (_, index) => flow(`${replication}-t${index}`, { replication }));
}

describe('describeStates', () => {
  const cases: { flows: FlowStatus[]; expected: string }[] = [
    { flows: running(3), expected: '3 running' },
    {
      flows: [
        flow('p', { state: 'paused' }),
        ...running(2),
        flow('e', { state: 'error' }),
        flow('s', { state: 'stalled' }),
        flow('f', { state: 'error' }),
      ],
      expected: '2 running, 2 error, 1 stalled, 1 paused',
    },
    { flows: [flow('s', { state: 'starting' })], expected: '1 starting' },
  ];
  for (const { flows, expected } of cases)
    test(expected, () => {
      assert.equal(describeStates(flows), expected);
    });
});

describe('flowsView', () => {
  test(`up to ${LISTED_FLOWS_MAX} flows: every flow is listed, those not running first`, () => {
    const view = flowsView(
      [...running(2), flow('broken', { state: 'error' }), flow('waiting', { state: 'stalled' })],
      {
        all: false,
      },
    );
    assert.equal(view.summarised, false);
    assert.deepEqual(
      view.listed.map((listed) => listed.key),
      ['broken', 'waiting', 'r-t0', 'r-t1'],
    );
  });

  test('10,000 flows: a summary per replication and only the flows not running, capped', () => {
    const broken = Array.from({ length: 25 }, (_, index) => flow(`broken-${index}`, { state: 'error' }));
    const flows = [...running(6_000, 'orders'), ...running(3_975, 'audit'), ...broken];
    const view = flowsView(flows, { all: false });
    assert.equal(view.headline, '10000 flows: 9975 running, 25 error');
    assert.deepEqual(
      view.replications.map((summary) => [summary.replication, summary.flows, summary.states]),
      [
        ['orders', 6_000, '6000 running'],
        ['audit', 3_975, '3975 running'],
        ['r', 25, '25 error'],
      ],
    );
    assert.equal(view.listed.length, LISTED_FLOWS_MAX);
    assert.ok(view.listed.every((listed) => listed.state === 'error'));
    assert.equal(view.notRunningLeftOut, 25 - LISTED_FLOWS_MAX);
  });

  test('--all lists every flow, however many', () => {
    const view = flowsView(running(10_000), { all: true });
    assert.equal(view.summarised, false);
    assert.equal(view.listed.length, 10_000);
  });
});

describe('renderFlows', () => {
  test('a few flows: the headline, then the table with the flow in error first', () => {
    const text = renderFlows(
      [
        flow('london/orders -> frankfurt/london.orders', { state: 'running', lag: 12 }),
        flow('london/audit -> frankfurt/london.audit', {
          state: 'error',
          lag: null,
          error: { reason: 'destination-unavailable', message: 'connect ECONNREFUSED', retriable: true },
        }),
      ],
      { all: false, nowMs: 0 },
    );
    assert.equal(
      text,
      [
        '2 flows: 1 running, 1 error',
        '',
        'FLOW                                      STATE    LAG  BEHIND  RECORDS/S  MIRRORED  LAST ERROR',
        'london/audit -> frankfurt/london.audit    error    -    -       0          0         destination-unavailable: connect ECONNREFUSED',
        'london/orders -> frankfurt/london.orders  running  12   -       0          0',
        '',
      ].join('\n'),
    );
  });

  test('many flows: the summary per replication, the flows not running, and how to see them all', () => {
    const flows = [
      ...running(30, 'orders').map((each) => ({ ...each, lag: 2, recordsPerSecond: 10 })),
      flow('orders-t30', { state: 'stalled', replication: 'orders', lag: null }),
    ];
    assert.equal(
      renderFlows(flows, { all: false, nowMs: 0 }),
      [
        '31 flows: 30 running, 1 stalled',
        '',
        'REPLICATION  FLOWS  LAG              RECORDS/S  STATES',
        'orders       31     60 (+1 unknown)  300        30 running, 1 stalled',
        '',
        'Not running:',
        'FLOW        STATE    LAG  BEHIND  RECORDS/S  MIRRORED  LAST ERROR',
        'orders-t30  stalled  -    -       0          0',
        '',
        '`georep status --all` lists every flow.',
        '',
      ].join('\n'),
    );
  });

  test('says so when there are no flows', () => {
    assert.equal(renderFlows([], { all: false }), 'No flows.\n');
  });
});

describe('renderBandwidthCaps', () => {
  test('one line per capped replication: the cap, what was written under it, the waiting summed over flows', () => {
    assert.equal(
      renderBandwidthCaps([
        {
          replication: 'orders',
          maxBytesPerSecond: 20_000_000,
          bytesWritten: 3_210_000_000,
          throttledSeconds: 153.46,
        },
        { replication: 'audit', maxBytesPerSecond: 1024, bytesWritten: 512, throttledSeconds: 0 },
      ]),
      [
        'CAPPED REPLICATION  CAP        WRITTEN  FLOWS WAITED FOR THE CAP',
        'orders              20.0 MB/s  3.21 GB  153.5 s',
        'audit               1.0 kB/s   512 B    0.0 s',
        '',
      ].join('\n'),
    );
  });
});

describe('renderRejectedReload', () => {
  test('a refused file: its problems with where they are; nothing after an accepted one or none', () => {
    const configFile = '/etc/georep/geo-replication.yaml';
    const messages = [`${configFile}:22:24: replications[0].maxBytesPerSecond: 150 is out of range`];
    assert.equal(
      renderRejectedReload({ configFile, lastReload: { ok: false, atMs: 0, messages } }),
      `The last reload of ${configFile} was REJECTED; the previous config is in force:\n  ${messages[0]}\n`,
    );
    assert.equal(renderRejectedReload({ configFile, lastReload: { ok: true, atMs: 0, messages: [] } }), '');
    assert.equal(renderRejectedReload({ configFile, lastReload: null }), '');
  });
});
