// Which batches of a read_committed fetch belong to aborted transactions, decided as Kafka's Java consumer decides
// it: the ordinary cases, the ones kafkajs's filter got wrong, and the two @platformatic/kafka 2.12's filter gets
// wrong (a producer's second aborted transaction in one fetch; an abort marker beyond the end of the fetch).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AbortedTransaction,
  batchesOfAbortedTransactions,
  type TransactionalBatch,
} from '../../../src/kafka/aborted-batches.js';

interface Batch extends TransactionalBatch {
  readonly name: string;
}

/** A transactional data batch of producer `producerId` covering offsets `first`..`last`. */
function data(name: string, producerId: number, first: number, last = first): Batch {
  return {
    name,
    lastOffset: BigInt(last),
    producerId: BigInt(producerId),
    transactional: true,
    control: false,
    abortMarker: false,
  };
}

function abort(name: string, producerId: number, offset: number): Batch {
  return { ...data(name, producerId, offset), control: true, abortMarker: true };
}

function commit(name: string, producerId: number, offset: number): Batch {
  return { ...data(name, producerId, offset), control: true };
}

/** A batch of an idempotent producer, outside any transaction. */
function plain(name: string, producerId: number, offset: number): Batch {
  return { ...data(name, producerId, offset), transactional: false };
}

const aborted = (producerId: number, firstOffset: number): AbortedTransaction => ({
  producerId: BigInt(producerId),
  firstOffset: BigInt(firstOffset),
});

const cases: {
  name: string;
  batches: Batch[];
  abortedTransactions: AbortedTransaction[];
  dropped: string[];
}[] = [
  {
    name: 'an aborted transaction is dropped up to its marker; a committed one and plain records stay',
    batches: [
      data('a', 7, 0, 1),
      plain('plain', 9, 2),
      data('c', 7, 3),
      abort('abort', 7, 4),
      data('d', 7, 5),
      commit('commit', 7, 6),
    ],
    abortedTransactions: [aborted(7, 0)],
    dropped: ['a', 'c'],
  },
  {
    name: 'aborted transactions listed in the order they ended, not started, are all dropped',
    batches: [
      data('first-0', 1, 0),
      data('second-0', 2, 1),
      data('third-0', 3, 2),
      data('first-1', 1, 3),
      abort('abort-3', 3, 4),
      commit('commit-2', 2, 5),
      abort('abort-1', 1, 6),
    ],
    abortedTransactions: [aborted(3, 2), aborted(1, 0)],
    dropped: ['first-0', 'third-0', 'first-1'],
  },
  {
    name: 'a fetch that begins inside two aborted transactions drops the records of both',
    batches: [
      data('first-5', 1, 10),
      data('third-5', 3, 11),
      data('second-5', 2, 12),
      abort('abort-3', 3, 13),
      abort('abort-1', 1, 14),
    ],
    abortedTransactions: [aborted(1, 0), aborted(3, 2)],
    dropped: ['first-5', 'third-5'],
  },
  {
    name: "two aborted transactions of one producer in one fetch are both dropped, the committed one between them kept (the library's first leak)",
    batches: [
      data('aborted-1', 4, 0, 2),
      abort('abort-1', 4, 3),
      data('committed', 4, 4, 5),
      commit('commit', 4, 6),
      data('aborted-2', 4, 7, 9),
      abort('abort-2', 4, 10),
    ],
    abortedTransactions: [aborted(4, 0), aborted(4, 7)],
    dropped: ['aborted-1', 'aborted-2'],
  },
  {
    name: "an aborted transaction whose marker lies beyond the end of the fetch is dropped all the same (the library's second leak)",
    batches: [data('committed', 5, 0), commit('commit', 5, 1), data('aborted', 6, 2, 4), data('more', 6, 5)],
    abortedTransactions: [aborted(6, 2)],
    dropped: ['aborted', 'more'],
  },
  {
    name: 'a fetch that starts after an aborted transaction began drops the rest of it',
    batches: [data('rest', 6, 40), abort('abort', 6, 41), data('next', 6, 42)],
    abortedTransactions: [aborted(6, 30)],
    dropped: ['rest'],
  },
  {
    name: 'a producer that aborts and then commits keeps the committed records',
    batches: [data('a', 4, 0), abort('abort', 4, 1), data('b', 4, 2), commit('commit', 4, 3)],
    abortedTransactions: [aborted(4, 0)],
    dropped: ['a'],
  },
  {
    name: 'a batch outside any transaction of a producer with an aborted one is kept',
    batches: [plain('plain', 4, 0), data('a', 4, 1), abort('abort', 4, 2)],
    abortedTransactions: [aborted(4, 1)],
    dropped: ['a'],
  },
  {
    name: 'without aborted transactions in the fetch nothing is dropped',
    batches: [data('a', 4, 0), commit('commit', 4, 1)],
    abortedTransactions: [],
    dropped: [],
  },
];

describe('batches of aborted transactions in a fetch', () => {
  for (const { name, batches, abortedTransactions, dropped } of cases) {
    test(name, () => {
      assert.deepEqual(
        batchesOfAbortedTransactions(batches, abortedTransactions).map((batch) => batch.name),
        dropped,
      );
    });
  }
});
