import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderStatusTable } from '../../src/cli/status.js';
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
