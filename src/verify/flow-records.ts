// Which records of each side a flow's comparison pairs, for flows whose copies are not the origin's records
// byte for byte: with `loopPrevention: header`, georep adds the provenance header to each record it copies
// (src/runtime/loop-prevention.ts) and drops records that came from the destination. Pure code.
import type { ConsumedRecord } from '../kafka/port.js';
import type { FlowSpec } from '../plan/flow-spec.js';
import { PROVENANCE_HEADER, withLoopPrevention } from '../runtime/loop-prevention.js';

export type RecordSelection = (records: readonly ConsumedRecord[]) => readonly ConsumedRecord[];

export interface FlowRecordRules {
  /** The origin's records as georep writes them to the destination. */
  readonly expectedFromOrigin: RecordSelection;
  /** The destination's records that georep wrote for this flow. */
  readonly copiedOnDestination: RecordSelection;
}

const PROVENANCE_KEY = Buffer.from(PROVENANCE_HEADER, 'utf8');
const everyRecord: RecordSelection = (records) => records;

/**
 * Without loop prevention, every record is copied as it is and the destination holds nothing else. With the
 * provenance header, the origin's records get it (the very function the flow applies), and the destination's
 * own producers' records (no provenance header, or the destination's own name in it: the destination topic of
 * an active-active pair is written there too) are not copies, so they are left out of the comparison.
 */
export function flowRecordRules(
  flow: Pick<FlowSpec, 'origin' | 'destination' | 'restartSettings'>,
): FlowRecordRules {
  if (flow.restartSettings.loopPrevention !== 'header') {
    return { expectedFromOrigin: everyRecord, copiedOnDestination: everyRecord };
  }
  return {
    expectedFromOrigin: (records) => withLoopPrevention(records, flow),
    copiedOnDestination: (records) =>
      records.filter((record) => {
        const provenance = record.headers.find((header) => header.key.equals(PROVENANCE_KEY));
        return provenance !== undefined && provenance.value?.toString('utf8') !== flow.destination;
      }),
  };
}
