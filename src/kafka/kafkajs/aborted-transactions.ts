// Which records of a read_committed fetch belong to aborted transactions, decided the way Kafka's Java
// consumer decides it (CompletedFetch.nextFetchedRecord), for kafkajs's decoded records. Pure code; the fetch
// correction in load-kafkajs.ts applies it.
//
// kafkajs 2.2.4's own filter (consumer/filterAbortedMessages.js) lets aborted records through in three ways
// the fidelity corpus reproduces:
// - it takes the broker's list of aborted transactions as sorted by first offset, but brokers list them in
//   the order they ended (their transaction index), so a transaction that started earlier and ended later is
//   noticed too late and its first records pass;
// - it starts at most one aborted transaction per record, so a fetch that begins inside two of them misses one;
// - it takes any record whose key is 00 00 00 00 for an abort marker (it never checks that the record is a
//   control record), so an aborted record with that key ends the filtering of its own transaction.
// The Java consumer works per batch instead: before each batch of a producer, it starts every aborted
// transaction whose first offset is at or before the batch's last offset; a transactional data batch of a
// producer with a started aborted transaction is dropped; an abort marker (a control batch) ends it.

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

const NO_PRODUCER_ID = '-1';
/** A control record's key is version (int16) then type (int16); type 0 is ABORT, 1 is COMMIT. */
const CONTROL_TYPE_OFFSET = 2;
const ABORT_CONTROL_TYPE = 0;

/**
 * The records, in the order given, that belong to aborted transactions. `records` are one partition's
 * records of one fetch, in offset order; `abortedTransactions` is that partition's list from the same fetch.
 */
export function recordsOfAbortedTransactions<R extends FetchedRecord>(
  records: readonly R[],
  abortedTransactions: readonly AbortedTransaction[],
): R[] {
  if (abortedTransactions.length === 0) return [];
  const notYetStarted = [...abortedTransactions].sort((a, b) =>
    compareOffsets(BigInt(a.firstOffset), BigInt(b.firstOffset)),
  );
  const abortingProducers = new Set<string>();
  const aborted: R[] = [];
  for (const batch of batchesOf(records)) {
    const context = batch[0]!.batchContext;
    if (context === undefined || context.producerId === NO_PRODUCER_ID) continue;
    const lastOffset = BigInt(context.firstOffset) + BigInt(context.lastOffsetDelta);
    while (notYetStarted.length > 0 && BigInt(notYetStarted[0]!.firstOffset) <= lastOffset) {
      abortingProducers.add(notYetStarted.shift()!.producerId);
    }
    if (context.isControlBatch) {
      if (isAbortMarker(batch[0]!)) abortingProducers.delete(context.producerId);
    } else if (context.inTransaction && abortingProducers.has(context.producerId)) {
      aborted.push(...batch);
    }
  }
  return aborted;
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

function isAbortMarker(record: FetchedRecord): boolean {
  const key = record.key;
  return (
    key !== null &&
    key.length >= CONTROL_TYPE_OFFSET + 2 &&
    key.readInt16BE(CONTROL_TYPE_OFFSET) === ABORT_CONTROL_TYPE
  );
}

function compareOffsets(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
