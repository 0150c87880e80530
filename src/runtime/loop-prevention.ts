// Loop prevention by provenance header, for replications with `loopPrevention: header` (needed when two
// clusters mirror each other with identity names, where a topic's name cannot tell where a record came from).
// A mirrored record carries the header `georep-origin` naming the cluster it was first written to; a record
// that already has one keeps it as it is. A flow drops records whose provenance is its own destination: they
// came from there. Cluster names must therefore be the same in the configs of every georep that mirrors
// between these clusters.
import type { ConsumedRecord } from '../kafka/port.js';
import type { FlowSpec } from '../plan/flow-spec.js';

export const PROVENANCE_HEADER = 'georep-origin';
const PROVENANCE_KEY = Buffer.from(PROVENANCE_HEADER, 'utf8');

export function withLoopPrevention(
  records: readonly ConsumedRecord[],
  spec: Pick<FlowSpec, 'origin' | 'destination' | 'restartSettings'>,
): readonly ConsumedRecord[] {
  if (spec.restartSettings.loopPrevention !== 'header') return records;
  const originMark = Buffer.from(spec.origin, 'utf8');
  const kept: ConsumedRecord[] = [];
  for (const record of records) {
    const provenance = record.headers.find((header) => header.key.equals(PROVENANCE_KEY));
    if (provenance === undefined) {
      kept.push({ ...record, headers: [...record.headers, { key: PROVENANCE_KEY, value: originMark }] });
    } else if (provenance.value?.toString('utf8') !== spec.destination) {
      kept.push(record);
    }
  }
  return kept;
}
