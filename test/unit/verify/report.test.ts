import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PartitionVerdict } from '../../../src/verify/in-order-comparison.js';
import type { PartitionReport } from '../../../src/verify/verify-flows.js';
import { renderVerifyText, verifyExitCode, verifyToJson } from '../../../src/verify/verify-report.js';

const FLOW = 'london/orders -> frankfurt/london.orders';

function report(partition: number, verdict: PartitionVerdict | string): PartitionReport {
  return {
    flow: FLOW,
    replication: 'orders',
    originTopic: 'orders',
    destinationTopic: 'london.orders',
    partition,
    originRange: { start: 0n, end: 10n },
    destinationRange: { start: 0n, end: 8n },
    comparison:
      typeof verdict === 'string'
        ? null
        : { verdict, sampled: false, bytesRead: { origin: 100, destination: 80 } },
    problem: typeof verdict === 'string' ? verdict : null,
  };
}

const match: PartitionVerdict = { kind: 'match', records: 10, digest: 'ab'.repeat(32) };
const behind: PartitionVerdict = { kind: 'behind', records: 8, nextOriginOffset: 8n, lag: 2n };
const differs: PartitionVerdict = {
  kind: 'differs',
  records: 4,
  mismatch: { originOffset: 6n, destinationOffset: 4n, fields: ['value', 'headers'] },
};

describe('verify exit codes', () => {
  const cases: [string, PartitionReport[], number][] = [
    ['every partition matches', [report(0, match), report(1, match)], 0],
    ['one is behind, none differs', [report(0, match), report(1, behind)], 3],
    ['one differs', [report(0, behind), report(1, differs)], 1],
    ['one could not be read', [report(0, match), report(1, 'TopicNotFound')], 1],
  ];
  for (const [name, reports, code] of cases) {
    test(`${name}: exit ${code}`, () => assert.equal(verifyExitCode(reports), code));
  }
});

describe('verify output', () => {
  const reports = [report(0, match), report(1, behind), report(2, differs)];

  test('the text lists problems first, with the offset pair, the lag and the bytes read', () => {
    const text = renderVerifyText(reports);
    const lines = text.split('\n');
    assert.match(
      lines[1] ?? '',
      /2 +DIFFERS +4 +origin offset 6 <-> destination offset 4: value, headers differ/,
    );
    assert.match(lines[2] ?? '', /1 +BEHIND +8 +lag 2 offsets: origin from offset 8 not copied yet/);
    assert.match(lines[3] ?? '', /0 +MATCH +10 +sha256 abababab/);
    assert.match(
      text,
      /3 partition\(s\): 1 match, 1 behind, 1 differ, 0 unreadable\. Read 300 bytes from the origin/,
    );
  });

  test('the JSON has every partition with its result, offsets as strings', () => {
    const json = JSON.parse(JSON.stringify(verifyToJson(reports)));
    assert.equal(json.result, 'differs');
    assert.deepEqual(json.partitions[2].firstDifference, {
      originOffset: '6',
      destinationOffset: '4',
      fields: ['value', 'headers'],
    });
    assert.equal(json.partitions[1].lag, '2');
    assert.deepEqual(json.partitions[0].destinationRange, { start: '0', end: '8' });
  });

  test('a first pair that differs where a log does not start at 0 says the logs may not line up', () => {
    const firstPair: PartitionVerdict = {
      kind: 'differs',
      records: 0,
      mismatch: {
        originOffset: 500n,
        destinationOffset: 0n,
        fields: ['key', 'value', 'headers', 'timestamp'],
      },
    };
    const shifted = { ...report(0, firstPair), originRange: { start: 500n, end: 900n } };
    assert.match(
      renderVerifyText([shifted]),
      /the logs start at origin offset 500 and destination offset 0: if retention/,
    );
    assert.match(JSON.stringify(verifyToJson([shifted])), /"hint":"the logs start at origin offset 500/);
    assert.doesNotMatch(
      renderVerifyText([report(1, differs)]),
      /the logs start/,
      'not after pairs that matched',
    );
  });
});
