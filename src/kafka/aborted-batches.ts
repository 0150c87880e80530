// Which record batches of a read_committed fetch belong to aborted transactions, decided the way Kafka's Java
// consumer decides it (CompletedFetch.nextFetchedRecord). Client-neutral pure code: each adapter describes its
// client's decoded batches with TransactionalBatch and drops the batches this returns.
//
// The Java consumer works per batch, in offset order, with the fetch response's aborted_transactions list (one
// entry per aborted transaction that overlaps the fetched range: its producer id and first offset):
// - before each batch of a producer, it starts every listed transaction whose first offset is at or before the
//   batch's last offset (the list is taken in first-offset order, whatever order the broker sent it in: brokers
//   list them in the order they ended);
// - a transactional data batch of a producer with a started aborted transaction is aborted;
// - an abort marker (a control batch) ends its producer's aborted transaction.
// A listed transaction is aborted whether or not its abort marker is in this fetch (the list only names
// transactions that already ended with an abort), so its batches are dropped even when the marker lies beyond
// the end of the fetch; and one producer can have several aborted transactions in one fetch, each started in turn.

/** What the decision needs to know about one record batch. */
export interface TransactionalBatch {
  readonly lastOffset: bigint;
  /** -1n for batches of producers without an id (neither idempotent nor transactional). */
  readonly producerId: bigint;
  /** The batch belongs to a transaction (attributes bit 4). */
  readonly transactional: boolean;
  /** The batch holds a transaction marker (attributes bit 5). */
  readonly control: boolean;
  /** A control batch whose marker is an abort (control type 0), not a commit. */
  readonly abortMarker: boolean;
}

/** One entry of a fetch response's aborted_transactions for a partition. */
export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

const NO_PRODUCER_ID = -1n;

/**
 * The batches, in the order given, that belong to aborted transactions. `batches` are one partition's batches
 * of one fetch, in offset order; `abortedTransactions` is that partition's list from the same fetch.
 */
export function batchesOfAbortedTransactions<B extends TransactionalBatch>(
  batches: readonly B[],
  abortedTransactions: readonly AbortedTransaction[],
): B[] {
  if (abortedTransactions.length === 0) return [];
  const notYetStarted = [...abortedTransactions].sort((a, b) =>
    a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
  );
  const abortingProducers = new Set<bigint>();
  const aborted: B[] = [];
  for (const batch of batches) {
    if (batch.producerId === NO_PRODUCER_ID) continue;
    while (notYetStarted.length > 0 && notYetStarted[0]!.firstOffset <= batch.lastOffset) {
      abortingProducers.add(notYetStarted.shift()!.producerId);
    }
    if (batch.control) {
      if (batch.abortMarker) abortingProducers.delete(batch.producerId);
    } else if (batch.transactional && abortingProducers.has(batch.producerId)) {
      aborted.push(batch);
    }
  }
  return aborted;
}

/** A control record's key is version (int16) then type (int16); type 0 is ABORT, 1 is COMMIT. */
const CONTROL_TYPE_OFFSET = 2;
const ABORT_CONTROL_TYPE = 0;

/** Whether a control record's key says ABORT. */
export function isAbortMarkerKey(key: Buffer | null | undefined): boolean {
  return (
    key !== null &&
    key !== undefined &&
    key.length >= CONTROL_TYPE_OFFSET + 2 &&
    key.readInt16BE(CONTROL_TYPE_OFFSET) === ABORT_CONTROL_TYPE
  );
}
