import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsumedRecord, PartitionReader } from '../../../src/kafka/port.js';
import { comparePartition, sampleWindowStarts } from '../../../src/verify/compare-partition.js';
import { InOrderComparison } from '../../../src/verify/in-order-comparison.js';
import { differingFields, windowDigest } from '../../../src/verify/record-digest.js';

function record(offset: number, fields: Partial<ConsumedRecord> = {}): ConsumedRecord {
  return {
    partition: 0,
    offset: BigInt(offset),
    timestampMs: 1_700_000_000_000 + offset,
    timestampType: 'create-time',
    key: Buffer.from(`key-${offset}`),
    value: Buffer.from(`value-${offset}`),
    headers: [{ key: Buffer.from('h'), value: Buffer.from('1') }],
    ...fields,
  };
}

/** The same record content as `record(contentOf)`, at another offset. */
function copyAt(offset: number, contentOf: number, fields: Partial<ConsumedRecord> = {}): ConsumedRecord {
  return { ...record(contentOf), offset: BigInt(offset), ...fields };
}

describe('differingFields', () => {
  const cases: [string, Partial<ConsumedRecord>, string[]][] = [
    ['the same record', {}, []],
    ['a null key against a key', { key: null }, ['key']],
    ['an empty value against a value', { value: Buffer.alloc(0) }, ['value']],
    ['a tombstone against a value', { value: null }, ['value']],
    [
      'headers in another order',
      {
        headers: [
          { key: Buffer.from('b'), value: null },
          { key: Buffer.from('h'), value: Buffer.from('1') },
        ],
      },
      ['headers'],
    ],
    [
      'a header with a null value instead of "1"',
      { headers: [{ key: Buffer.from('h'), value: null }] },
      ['headers'],
    ],
    ['another timestamp and value', { timestampMs: 5, value: Buffer.from('x') }, ['value', 'timestamp']],
  ];
  for (const [name, change, expected] of cases) {
    test(name, () => assert.deepEqual(differingFields(record(1), record(1, change)), expected));
  }

  test('the offset and the timestamp type are not part of a record', () => {
    assert.deepEqual(differingFields(record(1), copyAt(9, 1, { timestampType: 'log-append-time' })), []);
  });
});

describe('windowDigest', () => {
  test('tells null from empty and keeps the boundaries between fields', () => {
    const digests = [
      windowDigest([record(1, { key: null })]),
      windowDigest([record(1, { key: Buffer.alloc(0) })]),
      windowDigest([record(1, { key: Buffer.from('ab'), value: Buffer.from('c') })]),
      windowDigest([record(1, { key: Buffer.from('a'), value: Buffer.from('bc') })]),
      windowDigest([record(1), record(2)]),
      windowDigest([record(2), record(1)]),
    ];
    assert.equal(new Set(digests).size, digests.length);
  });

  test('is the same for the same records at other offsets', () => {
    assert.equal(windowDigest([record(1), record(2)]), windowDigest([copyAt(10, 1), copyAt(11, 2)]));
  });
});

describe('InOrderComparison verdicts', () => {
  const cases: {
    name: string;
    origin: ConsumedRecord[];
    destination: ConsumedRecord[];
    sides: { originExhausted: boolean; destinationExhausted: boolean };
    expected: Record<string, unknown>;
  }[] = [
    {
      name: 'the same records at other offsets match',
      origin: [record(3), record(7)],
      destination: [copyAt(0, 3), copyAt(1, 7)],
      sides: { originExhausted: true, destinationExhausted: true },
      expected: { kind: 'match', records: 2 },
    },
    {
      name: 'the origin has more: behind, lag from the first record not copied to the end',
      origin: [record(3), record(7)],
      destination: [copyAt(0, 3)],
      sides: { originExhausted: true, destinationExhausted: true },
      expected: { kind: 'behind', records: 1, nextOriginOffset: 7n, lag: 3n },
    },
    {
      name: 'the destination has more: differs at the extra record',
      origin: [record(3)],
      destination: [copyAt(0, 3), copyAt(1, 3)],
      sides: { originExhausted: true, destinationExhausted: true },
      expected: {
        kind: 'differs',
        records: 1,
        mismatch: { originOffset: null, destinationOffset: 1n, fields: [] },
      },
    },
    {
      name: 'a changed value: differs at the first pair that is not the same',
      origin: [record(3), record(4), record(5)],
      destination: [copyAt(0, 3), copyAt(1, 4, { value: Buffer.from('changed') }), copyAt(2, 5)],
      sides: { originExhausted: true, destinationExhausted: true },
      expected: {
        kind: 'differs',
        records: 1,
        mismatch: { originOffset: 4n, destinationOffset: 1n, fields: ['value'] },
      },
    },
  ];
  for (const { name, origin, destination, sides, expected } of cases) {
    test(name, () => {
      const comparison = new InOrderComparison();
      comparison.addOrigin(origin);
      comparison.addDestination(destination);
      comparison.compareBuffered();
      const verdict = comparison.verdict({ ...sides, originEnd: 10n });
      // The digest of a match has a test of its own below.
      const shown = verdict.kind === 'match' ? { kind: verdict.kind, records: verdict.records } : verdict;
      assert.deepEqual(shown, expected);
    });
  }

  test('a match carries the digest of the records compared, the same however they came in windows', () => {
    const whole = new InOrderComparison();
    whole.addOrigin([record(1), record(2), record(3)]);
    whole.addDestination([copyAt(0, 1), copyAt(1, 2), copyAt(2, 3)]);
    whole.compareBuffered();
    const windows = new InOrderComparison();
    windows.addOrigin([record(1), record(2), record(3)]);
    windows.addDestination([copyAt(0, 1)]);
    windows.compareBuffered();
    windows.addDestination([copyAt(1, 2), copyAt(2, 3)]);
    windows.compareBuffered();
    const sides = { originExhausted: true, destinationExhausted: true, originEnd: 4n };
    assert.deepEqual(windows.verdict(sides), whole.verdict(sides));
  });
});

test('one fetch of 200,000 small records is taken in whole (more than a function call takes arguments)', () => {
  const many = Array.from({ length: 200_000 }, (_, index) =>
    record(index, { key: null, value: null, headers: [], timestampMs: 0 }),
  );
  const comparison = new InOrderComparison();
  comparison.addOrigin(many);
  comparison.addDestination(many);
  assert.equal(comparison.compareBuffered(), null);
  const verdict = comparison.verdict({
    originExhausted: true,
    destinationExhausted: true,
    originEnd: 200_000n,
  });
  assert.equal(verdict.records, 200_000);
});

describe('sampleWindowStarts', () => {
  const cases: [bigint, number, number, bigint[]][] = [
    [10_000n, 3, 1000, [0n, 4500n, 9000n]],
    [10_000n, 1, 1000, [0n]],
    [500n, 4, 1000, [0n]],
    [3000n, 2, 1000, [0n, 2000n]],
  ];
  for (const [span, windows, records, expected] of cases) {
    test(`${windows} windows of ${records} over ${span} offsets start at ${expected.join(', ')}`, () => {
      assert.deepEqual(sampleWindowStarts(span, windows, records), expected);
    });
  }
});

/** A partition log in memory; reads return at most `perRead` records, as a fetch with a byte limit would. */
function fakeReader(
  logs: Record<string, ConsumedRecord[]>,
  perRead = 3,
): PartitionReader & { reads: number } {
  const reader = {
    reads: 0,
    async read(topic: string, _partition: number, offset: bigint) {
      reader.reads += 1;
      const log = logs[topic] ?? [];
      const records = log.filter((entry) => entry.offset >= offset).slice(0, perRead);
      const last = records.at(-1);
      return { records, nextOffset: last === undefined ? offset : last.offset + 1n };
    },
    async close() {},
  };
  return reader;
}

const range = (log: ConsumedRecord[], end = (log.at(-1)?.offset ?? -1n) + 1n) => ({
  start: log[0]?.offset ?? 0n,
  end,
});

describe('comparePartition over a fake reader', () => {
  const dense = Array.from({ length: 40 }, (_, index) => record(index));
  const limits = { maxBytesPerRead: 1024, sampleWindows: null, sampleWindowRecords: 4 };

  test('a compacted origin (gaps in its offsets) matches a dense copy of its records', async () => {
    const compacted = dense.filter((entry) => entry.offset % 3n !== 0n);
    const copy = compacted.map((entry, index) => copyAt(index, Number(entry.offset)));
    const reader = fakeReader({ origin: compacted, destination: copy });
    const result = await comparePartition(
      0,
      { reader, topic: 'origin', range: range(compacted) },
      { reader, topic: 'destination', range: range(copy) },
      limits,
    );
    assert.equal(result.verdict.kind, 'match');
    assert.equal(result.verdict.records, compacted.length);
  });

  test('records the destination does not have yet are behind, with the lag to the origin end', async () => {
    const copy = dense.slice(0, 25).map((entry) => copyAt(Number(entry.offset), Number(entry.offset)));
    const reader = fakeReader({ origin: dense, destination: copy });
    const result = await comparePartition(
      0,
      { reader, topic: 'origin', range: range(dense) },
      { reader, topic: 'destination', range: range(copy) },
      limits,
    );
    assert.deepEqual(result.verdict, { kind: 'behind', records: 25, nextOriginOffset: 25n, lag: 15n });
  });

  test('records written past the ends taken at the start are not read', async () => {
    const reader = fakeReader({ origin: dense, destination: dense });
    const result = await comparePartition(
      0,
      { reader, topic: 'origin', range: { start: 0n, end: 20n } },
      { reader, topic: 'destination', range: { start: 0n, end: 20n } },
      limits,
    );
    assert.equal(result.verdict.kind, 'match');
    assert.equal(result.verdict.records, 20);
  });

  test('sampled windows that match read less than the whole partition', async () => {
    const reader = fakeReader({ origin: dense, destination: dense }, 4);
    const result = await comparePartition(
      0,
      { reader, topic: 'origin', range: range(dense) },
      { reader, topic: 'destination', range: range(dense) },
      { ...limits, sampleWindows: 3 },
    );
    assert.equal(result.sampled, true);
    assert.equal(result.verdict.kind, 'match');
    assert.equal(result.verdict.records, 12);
    assert.equal(reader.reads, 6, 'one read per window and side');
  });

  test('a sampled window that differs has the partition compared in full, naming the exact first difference', async () => {
    const changed = dense.map((entry) =>
      entry.offset === 37n
        ? { ...entry, headers: [] }
        : entry.offset === 2n
          ? { ...entry, value: null }
          : entry,
    );
    const reader = fakeReader({ origin: dense, destination: changed });
    const result = await comparePartition(
      0,
      { reader, topic: 'origin', range: range(dense) },
      { reader, topic: 'destination', range: range(changed) },
      { ...limits, sampleWindows: 2 },
    );
    assert.equal(result.sampled, false);
    assert.deepEqual(result.verdict, {
      kind: 'differs',
      records: 2,
      mismatch: { originOffset: 2n, destinationOffset: 2n, fields: ['value'] },
    });
  });
});
