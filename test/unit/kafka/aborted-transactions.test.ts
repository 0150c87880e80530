// Which fetched records belong to aborted transactions: the cases kafkajs's own filter gets wrong, and the
// ordinary ones, decided as Kafka's Java consumer decides them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type FetchedBatchContext,
  type FetchedRecord,
  recordsOfAbortedTransactions,
} from '../../../src/kafka/kafkajs/aborted-transactions.js';

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);
const COMMIT_MARKER_KEY = Buffer.from([0, 0, 0, 1]);

type Batch = FetchedRecord[];

/** A transactional data batch of `producerId` with one record per key, starting at `firstOffset`. */
function data(producerId: string, firstOffset: number, keys: readonly (Buffer | null)[]): Batch {
  const context: FetchedBatchContext = {
    firstOffset: String(firstOffset),
    lastOffsetDelta: keys.length - 1,
    producerId,
    inTransaction: true,
    isControlBatch: false,
  };
  return keys.map((key, index) => ({
    offset: String(firstOffset + index),
    key,
    isControlRecord: false,
    batchContext: context,
  }));
}

function marker(producerId: string, offset: number, key: Buffer): Batch {
  return [
    {
      offset: String(offset),
      key,
      isControlRecord: true,
      batchContext: {
        firstOffset: String(offset),
        lastOffsetDelta: 0,
        producerId,
        inTransaction: true,
        isControlBatch: true,
      },
    },
  ];
}

/** A batch of a producer that is not transactional. */
function plain(producerId: string, offset: number): Batch {
  const [record] = data(producerId, offset, [Buffer.from('plain')]);
  return [{ ...record!, batchContext: { ...record!.batchContext!, inTransaction: false } }];
}

const key = (text: string) => Buffer.from(text);
const offsetsOf = (records: readonly FetchedRecord[]) => records.map((record) => Number(record.offset));

describe('records of aborted transactions in a fetch', () => {
  test('an aborted transaction is dropped up to its marker; a committed one and plain records stay', () => {
    const records = [
      ...data('7', 0, [key('a'), key('b')]),
      ...plain('9', 2),
      ...data('7', 3, [key('c')]),
      ...marker('7', 4, ABORT_MARKER_KEY),
      ...data('7', 5, [key('d')]),
      ...marker('7', 6, COMMIT_MARKER_KEY),
    ];
    const aborted = recordsOfAbortedTransactions(records, [{ producerId: '7', firstOffset: '0' }]);
    assert.deepEqual(offsetsOf(aborted), [0, 1, 3]);
  });

  test('an aborted record keyed 00 00 00 00 is not an abort marker: it and the rest of its transaction are dropped', () => {
    const records = [
      ...data('7', 0, [key('a'), ABORT_MARKER_KEY, key('c')]),
      ...data('7', 3, [key('d')]),
      ...marker('7', 4, ABORT_MARKER_KEY),
    ];
    const aborted = recordsOfAbortedTransactions(records, [{ producerId: '7', firstOffset: '0' }]);
    assert.deepEqual(offsetsOf(aborted), [0, 1, 2, 3]);
  });

  test('aborted transactions listed in the order they ended, not started, are all dropped', () => {
    // Producer 1 starts first and aborts last; producer 3 starts later and aborts first; producer 2 commits.
    const records = [
      ...data('1', 0, [key('first-0')]),
      ...data('2', 1, [key('second-0')]),
      ...data('3', 2, [key('third-0')]),
      ...data('1', 3, [key('first-1')]),
      ...marker('3', 4, ABORT_MARKER_KEY),
      ...marker('2', 5, COMMIT_MARKER_KEY),
      ...marker('1', 6, ABORT_MARKER_KEY),
    ];
    const aborted = recordsOfAbortedTransactions(records, [
      { producerId: '3', firstOffset: '2' },
      { producerId: '1', firstOffset: '0' },
    ]);
    assert.deepEqual(offsetsOf(aborted), [0, 2, 3]);
  });

  test('a fetch that begins inside two aborted transactions drops the records of both', () => {
    const records = [
      ...data('1', 10, [key('first-5')]),
      ...data('3', 11, [key('third-5')]),
      ...data('2', 12, [key('second-5')]),
      ...marker('3', 13, ABORT_MARKER_KEY),
      ...marker('1', 14, ABORT_MARKER_KEY),
    ];
    const aborted = recordsOfAbortedTransactions(records, [
      { producerId: '1', firstOffset: '0' },
      { producerId: '3', firstOffset: '2' },
    ]);
    assert.deepEqual(offsetsOf(aborted), [10, 11]);
  });

  test('a producer that aborts and then commits keeps the committed records', () => {
    const records = [
      ...data('4', 0, [key('a')]),
      ...marker('4', 1, ABORT_MARKER_KEY),
      ...data('4', 2, [key('b')]),
      ...marker('4', 3, COMMIT_MARKER_KEY),
    ];
    assert.deepEqual(
      offsetsOf(recordsOfAbortedTransactions(records, [{ producerId: '4', firstOffset: '0' }])),
      [0],
    );
  });

  test('without aborted transactions in the fetch nothing is dropped', () => {
    const records = [...data('4', 0, [key('a')]), ...marker('4', 1, COMMIT_MARKER_KEY)];
    assert.deepEqual(recordsOfAbortedTransactions(records, []), []);
  });
});
