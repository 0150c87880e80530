// Which records of a read_committed fetch belong to aborted transactions, for kafkajs's decoded records: the
// records are grouped back into the batches they came in and the decision is ../aborted-batches.ts's, the way
// Kafka's Java consumer decides it (CompletedFetch.nextFetchedRecord). Pure code; the fetch correction in
// load-kafkajs.ts applies it.
//
// kafkajs 2.2.4's own filter (consumer/filterAbortedMessages.js) lets aborted records through in three ways
// the fidelity corpus reproduces:
// - it takes the broker's list of aborted transactions as sorted by first offset, but brokers list them in
//   the order they ended (their transaction index), so a transaction that started earlier and ended later is
//   noticed too late and its first records pass;
// - it starts at most one aborted transaction per record, so a fetch that begins inside two of them misses one;
// - it takes any record whose key is 00 00 00 00 for an abort marker (it never checks that the record is a
//   control record), so an aborted record with that key ends the filtering of its own transaction.
import { batchesOfAbortedTransactions, isAbortMarkerKey } from '../aborted-batches.js';

/** The fields of a kafkajs decoded record that the decision needs. */
export interface FetchedRecord {
  offset: string;
  key: Buffer | null;
  isControlRecord: boolean;
  batchContext?: FetchedBatchContext;
}

/** What kafkajs's batch decoder records about the batch a record came in. */
export interface FetchedBatchContext {
  firstOffset: string;
  lastOffsetDelta: number;
  /** -1 for batches of producers without an id (neither idempotent nor transactional). */
  producerId: string;
  inTransaction: boolean;
  isControlBatch: boolean;
}

/** One entry of a fetch response's aborted_transactions for a partition. */
export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

/**
 * The records, in the order given, that belong to aborted transactions. `records` are one partition's
 * records of one fetch, in offset order; `abortedTransactions` is that partition's list from the same fetch.
 */
export function recordsOfAbortedTransactions<R extends FetchedRecord>(
  records: readonly R[],
  abortedTransactions: readonly AbortedTransaction[],
): R[] {
  if (abortedTransactions.length === 0) return [];
  const batches = batchesOf(records).flatMap((batch) => {
    const context = batch[0]!.batchContext;
    if (context === undefined) return [];
    return [
      {
        records: batch,
        lastOffset: BigInt(context.firstOffset) + BigInt(context.lastOffsetDelta),
        producerId: BigInt(context.producerId),
        transactional: context.inTransaction,
        control: context.isControlBatch,
        abortMarker: context.isControlBatch && isAbortMarkerKey(batch[0]!.key),
      },
    ];
  });
  const aborted = batchesOfAbortedTransactions(
    batches,
    abortedTransactions.map((transaction) => ({
      producerId: BigInt(transaction.producerId),
      firstOffset: BigInt(transaction.firstOffset),
    })),
  );
  return aborted.flatMap((batch) => batch.records);
}

/** Runs of consecutive records decoded from the same batch. */
function batchesOf<R extends FetchedRecord>(records: readonly R[]): R[][] {
  const batches: R[][] = [];
  for (const record of records) {
    const current = batches.at(-1);
    const sameBatch =
      current !== undefined &&
      current[0]!.batchContext !== undefined &&
      current[0]!.batchContext.firstOffset === record.batchContext?.firstOffset;
    if (sameBatch) current.push(record);
    else batches.push([record]);
  }
  return batches;
}
